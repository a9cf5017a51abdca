import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// The leases one gateway holds, renewed in the background, as a service.
///
/// A gateway serves an agent only while ``holds(_:)`` is true. Each lease is renewed every fifth
/// of its duration; when renewals fail until the lease's local deadline (two thirds of its
/// duration after the last renewal was sent), or another gateway wrote the lease, the agent is
/// lost: it leaves the held set and the ``onLost(_:)`` handler stops its runs and writes, a
/// third of the lease before any other gateway may take it.
///
/// On graceful shutdown it stops renewing and releases every lease it still holds, so other
/// gateways may adopt the agents at once. Place it first in the group: it stops last, after the
/// gateway drained and Litestream synced.
public final class AgentPlacement: Service, Sendable {
    public let leases: LeaseStore
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var held: [String: HeldLease] = [:]
        var renewing: Set<String> = []
        var lastRenewal: [String: ContinuousClock.Instant] = [:]
        var lostHandler: (@Sendable (String, String) async -> Void)?
        var advertised: String?
    }

    public init(leases: LeaseStore, logger: Logger) {
        self.leases = leases
        self.logger = logger
    }

    /// Sets what runs when an agent's lease is lost (its id and why): stop its runs, close it,
    /// move its files out of replication.
    public func onLost(_ handler: @escaping @Sendable (String, String) async -> Void) {
        state.withLock { $0.lostHandler = handler }
    }

    /// Sets the URL written into leases from now on (the gateway's bound URL, when no
    /// `--advertise` was given); held leases carry it from their next renewal.
    public func advertise(_ url: String) {
        state.withLock { state in
            if state.advertised == nil { state.advertised = url }
        }
    }

    private var advertisedURL: String? { leases.advertise ?? state.withLock { $0.advertised } }

    /// Whether this gateway holds the agent's lease and may serve it now.
    public func holds(_ agent: String) -> Bool {
        state.withLock { $0.held[agent].map { ContinuousClock.now < $0.deadline } ?? false }
    }

    /// The agents whose leases are held here.
    public var heldAgents: [String] { state.withLock { $0.held.keys.sorted() } }

    /// Takes the agent's lease (see ``LeaseStore/acquire(_:url:current:)``); `current` is the lease
    /// as the caller just read it (`.some(nil)`: none).
    @discardableResult
    public func acquire(_ agent: String, current: (lease: Lease, etag: String)?? = .none) async throws(ReplicationError) -> HeldLease {
        if let held = state.withLock({ $0.held[agent] }), ContinuousClock.now < held.deadline { return held }
        let held = try await leases.acquire(agent, url: advertisedURL, current: current)
        state.withLock { state in
            state.held[agent] = held
            state.lastRenewal[agent] = ContinuousClock.now
        }
        logger.info("lease taken", metadata: ["agent": .string(agent), "expiresAt": .stringConvertible(held.lease.expiresAt)])
        return held
    }

    /// Stops renewing the agent's lease and gives it up (see ``LeaseStore/release(_:asReleased:)``).
    public func release(_ agent: String, asReleased: Bool = true) async throws(ReplicationError) {
        guard let held = state.withLock({ state -> HeldLease? in
            state.lastRenewal[agent] = nil
            return state.held.removeValue(forKey: agent)
        }) else { return }
        try await leases.release(held, asReleased: asReleased)
        logger.info("lease released", metadata: ["agent": .string(agent)])
    }

    /// Forgets a lease without writing it (the agent was lost, or its lease object is gone).
    public func forget(_ agent: String) {
        state.withLock { state in
            state.held[agent] = nil
            state.lastRenewal[agent] = nil
        }
    }

    /// The agent's lease as stored, with its ETag.
    public func lease(of agent: String) async throws(ReplicationError) -> (lease: Lease, etag: String)? {
        try await leases.read(agent)
    }

    var renewInterval: Duration { leases.duration / 5 }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelledOrShuttingDown {
                let now = ContinuousClock.now
                let (due, expired) = state.withLock { state -> ([HeldLease], [String]) in
                    var due: [HeldLease] = []
                    var expired: [String] = []
                    for (agent, held) in state.held {
                        if now >= held.deadline { expired.append(agent); continue }
                        if !state.renewing.contains(agent), now - (state.lastRenewal[agent] ?? now) >= renewInterval {
                            state.renewing.insert(agent)
                            state.lastRenewal[agent] = now
                            due.append(held)
                        }
                    }
                    return (due, expired)
                }
                for agent in expired { await lose(agent, reason: "its lease could not be renewed before its deadline") }
                for held in due {
                    group.addTask { await self.renew(held) }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        for agent in heldAgents {
            do { try await release(agent) } catch {
                logger.warning("lease not released on shutdown; it expires by itself", metadata: ["agent": .string(agent), "error": .string(error.message)])
            }
        }
    }

    private func renew(_ held: HeldLease) async {
        defer { state.withLock { _ = $0.renewing.remove(held.agent) } }
        do {
            let renewed = try await leases.renew(held, url: advertisedURL)
            let kept = state.withLock { state -> Bool in
                guard state.held[held.agent]?.etag == held.etag else { return false }
                state.held[held.agent] = renewed
                return true
            }
            if !kept {
                // Lost or released while the renewal was on its way: give the fresh lease back.
                try? await leases.release(renewed, asReleased: false)
            }
        } catch where error.code == .preconditionFailed {
            await lose(held.agent, reason: "another gateway wrote its lease")
        } catch {
            logger.warning("lease renewal failed; retrying", metadata: ["agent": .string(held.agent), "error": .string(error.message)])
        }
    }

    private func lose(_ agent: String, reason: String) async {
        let handler = state.withLock { state -> (@Sendable (String, String) async -> Void)? in
            guard state.held.removeValue(forKey: agent) != nil else { return nil }
            state.lastRenewal[agent] = nil
            return state.lostHandler
        }
        guard let handler else { return }
        logger.error("lease lost: the agent is no longer served here", metadata: ["agent": .string(agent), "reason": .string(reason)])
        await handler(agent, reason)
    }
}

extension Task where Success == Never, Failure == Never {
    /// Whether the current task was cancelled or its service group is shutting down.
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
