import AgentRuntime
import Foundation
import Replication
import StateStore

/// Agents placed by leases: a replicating gateway serves an agent only while it holds the agent's
/// lease, adopts a free one on first request (restoring it from the replica), and hands one over
/// with ``release(_:)``.
extension Gateway {
    /// What an adoption did.
    struct Adoption: Sendable {
        var agent: AgentID
        /// `restored` (from the replica), `kept` (this host's own files), or `created` (new).
        var source: String
        var bytes: Int64
        var milliseconds: Int64
    }

    /// Installs the placement's checks: the host opens only the agents whose leases are held
    /// here, and a lost lease stops the agent.
    func installPlacement() {
        guard let replication else { return }
        let placement = replication.placement
        let moving = self.moving
        host.admit { agent in
            guard placement.holds(agent.value), !moving.contains(agent) else {
                throw AgentRuntimeError(.notPlaced, "agent \(agent) is not placed on this gateway (its lease is not held here)")
            }
        }
        placement.onLost { [weak self] agent, reason in
            guard let self, let id = try? AgentID(agent) else { return }
            await self.stopServing(id, reason: "lease lost: \(reason)")
        }
    }

    /// Checks that the agent is served here, adopting it first when its lease is free.
    /// - throws: `UNAVAILABLE` with `details.owner` (the owner's URL) when another gateway holds it.
    func requirePlaced(_ agent: AgentID) async throws {
        guard let replication else { return }
        if moving.contains(agent) {
            throw GatewayError(.unavailable, "agent \(agent) is moving off this gateway", details: ["code": "AGENT_MOVING"], retryable: true, retryAfterMilliseconds: 1000)
        }
        if replication.placement.holds(agent.value) { return }
        _ = try await adopt(agent, explicitly: false)
    }

    /// Takes the agent's lease and serves it: its files here are kept when the lease was this
    /// gateway's (a restart); otherwise they are archived and the replica is restored.
    /// On a request (`explicitly` false), an agent this gateway released is not taken back, and
    /// an agent with no replica and no files is unknown (but `main`).
    func adopt(_ agent: AgentID, explicitly: Bool) async throws -> Adoption {
        guard let replication else {
            throw GatewayError(.invalidRequest, "this gateway does not replicate (start it with --replica s3://BUCKET/PREFIX)", details: ["code": "NOT_REPLICATING"])
        }
        // One adoption of an agent at a time; the others wait for it and find the lease held.
        let started = ContinuousClock.now
        let turn = await adoptions.acquire(agent)
        defer { adoptions.release(agent, turn) }
        let placement = replication.placement
        if placement.holds(agent.value) {
            return Adoption(agent: agent, source: "kept", bytes: 0, milliseconds: 0)
        }
        let stored: (lease: Lease, etag: String)?
        do { stored = try await placement.lease(of: agent.value) } catch { throw Self.placementError(error) }
        let previous = stored?.lease
        let hostID = replication.settings.hostID
        if let previous {
            if previous.owner != hostID, previous.isLive(at: RuntimeClock.milliseconds()) {
                throw Self.placementError(placement.leases.ownedElsewhere(agent.value, previous))
            }
            if !explicitly, previous.owner == hostID, previous.expiresAt == 0 {
                throw GatewayError(.unavailable, "agent \(agent) was released from this gateway; adopt it explicitly (`openclaw agents adopt \(agent)`) to serve it here again",
                                   details: ["code": "AGENT_RELEASED"], retryable: false)
            }
        }
        do { try await placement.acquire(agent.value, current: .some(stored)) } catch { throw Self.placementError(error) }
        do {
            let state = host.state
            let host = self.host
            let hasFolder = FileManager.default.fileExists(atPath: state.agentFolder(agent))
            var source = "kept"
            if previous == nil || previous?.owner == hostID, hasFolder {
                source = "kept"
            } else {
                if hasFolder {
                    await host.close(agent, reason: "the agent is restored from its replica")
                    let archived = try await host.offThread { try state.archiveAgent(agent, global: host.globalDatabase) }
                    logger.notice("archived local files of an adopted agent", metadata: ["agent": .string(agent.value), "archive": .string(archived ?? "")])
                }
                let work = LitestreamConfiguration(settings: replication.settings, state: state).workDirectory
                // Litestream's local record of an earlier stay here is stale: the replica moved on.
                _ = try? await host.offThread { try FileManager.default.removeItem(atPath: work + "/meta/agents/\(agent.value)") }
                let restore = work + "/restore-\(agent.value)-\(RuntimeClock.milliseconds()).sqlite"
                let restored = try await replication.litestream.restore(settings: replication.settings, key: replication.settings.replica.agentReplicaKey(agent.value), to: restore)
                if restored {
                    try await host.offThread { try state.installAgentDatabase(agent, from: restore) }
                    source = "restored"
                } else if !explicitly, agent != .main {
                    throw GatewayError(.invalidRequest, "unknown agent id \(agent.value.debugDescription)")
                } else {
                    source = "created"
                }
            }
            let runtime = try await host.runtime(for: agent)
            // Runs its last host left in flight end `interrupted` here, so its sessions take new runs.
            for run in try await runtime.recoverInterruptedRuns() {
                logger.notice("marked an interrupted run", metadata: ["runId": .string(run.runID), "sessionKey": .string(run.sessionKey.value)])
            }
            if source != "kept" { await awaitReplication(of: agent, replication: replication) }
            let bytes = runtime.agentDatabase.fileSizes().database
            let adoption = Adoption(agent: agent, source: source, bytes: bytes, milliseconds: Int64((ContinuousClock.now - started) / .milliseconds(1)))
            logger.notice("agent adopted", metadata: ["agent": .string(agent.value), "source": .string(source), "ms": .stringConvertible(adoption.milliseconds)])
            return adoption
        } catch {
            // Not served after all: give the lease back (as expired, so a later request retries).
            try? await placement.release(agent.value, asReleased: false)
            if let error = error as? GatewayError { throw error }
            if let error = error as? ReplicationError { throw Self.placementError(error) }
            throw GatewayError.wrap(error)
        }
    }

    /// Waits until Litestream replicates a database new in its watched folder (it finds one in
    /// about a second), then until the replica has it: an adoption returns when the agent's
    /// writes from then on are replicated. A daemon that does not pick it up in 10 s is logged,
    /// not fatal: the agent is served, and replicated once the daemon catches up.
    func awaitReplication(of agent: AgentID, replication: GatewayReplication) async {
        let path = host.state.agentDatabasePath(agent)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if replication.daemon.pid > 0, let tracked = try? await replication.daemon.replicatedDatabases(), tracked.contains(path) {
                do {
                    _ = try await replication.daemon.sync(database: path)
                    return
                } catch {
                    logger.warning("litestream: the first sync of an adopted agent failed", metadata: ["agent": .string(agent.value), "error": .string(error.message)])
                    return
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        logger.warning("litestream did not pick up an adopted agent within 10 s", metadata: ["agent": .string(agent.value)])
    }

    /// What a release did.
    struct Release: Sendable {
        var agent: AgentID
        var archive: String?
        var replicaTXID: Int64?
        var milliseconds: Int64
    }

    /// Hands the agent off: refuses new work for it, lets its runs finish (up to the drain
    /// timeout, then aborts them), closes it, waits for Litestream to replicate its last write,
    /// archives its files and releases its lease.
    func release(_ agent: AgentID) async throws -> Release {
        guard let replication else {
            throw GatewayError(.invalidRequest, "this gateway does not replicate (start it with --replica s3://BUCKET/PREFIX)", details: ["code": "NOT_REPLICATING"])
        }
        let started = ContinuousClock.now
        guard replication.placement.holds(agent.value) else {
            throw GatewayError(.invalidRequest, "agent \(agent) is not served by this gateway", details: ["code": "NOT_OWNED"])
        }
        guard moving.insert(agent) else { throw GatewayError(.unavailable, "agent \(agent) is already moving", details: ["code": "AGENT_MOVING"], retryable: true) }
        defer { moving.remove(agent) }
        await host.close(agent, grace: configuration.drainTimeout, reason: "the agent moves to another gateway")
        let state = host.state
        let host = self.host
        var txid: Int64?
        do {
            if FileManager.default.fileExists(atPath: state.agentDatabasePath(agent)) {
                txid = try await replication.daemon.sync(database: state.agentDatabasePath(agent)).replicaTXID
            }
            let archive = try await host.offThread { try state.archiveAgent(agent, global: host.globalDatabase) }
            try await replication.placement.release(agent.value)
            logger.notice("agent released", metadata: ["agent": .string(agent.value), "archive": .string(archive ?? "")])
            return Release(agent: agent, archive: archive, replicaTXID: txid, milliseconds: Int64((ContinuousClock.now - started) / .milliseconds(1)))
        } catch let error as ReplicationError {
            throw Self.placementError(error)
        }
    }

    /// Deletes an agent: stops it, archives its files here, and with replication deletes its
    /// replica and its lease (after Litestream let go of it). Returns the archive's path.
    func delete(_ agent: AgentID) async throws -> String? {
        if let replication {
            if !replication.placement.holds(agent.value) { _ = try await adopt(agent, explicitly: true) }
        }
        guard moving.insert(agent) else { throw GatewayError(.unavailable, "agent \(agent) is already moving", details: ["code": "AGENT_MOVING"], retryable: true) }
        defer { moving.remove(agent) }
        await host.close(agent, grace: .zero, reason: "the agent was deleted")
        let state = host.state
        let host = self.host
        let archive = try await host.offThread { try state.archiveAgent(agent, global: host.globalDatabase) }
        guard let replication else { return archive }
        let path = state.agentDatabasePath(agent)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, replication.daemon.pid > 0, (try? await replication.daemon.replicatedDatabases())?.contains(path) ?? false {
            try? await Task.sleep(for: .milliseconds(100))
        }
        do {
            let client = replication.placement.leases.client
            let removed = try await client.deleteAll(prefix: replication.settings.replica.agentReplicaKey(agent.value) + "/")
            replication.placement.forget(agent.value)
            try await replication.placement.leases.remove(agent.value)
            logger.notice("agent deleted", metadata: ["agent": .string(agent.value), "replicaObjects": .stringConvertible(removed), "archive": .string(archive ?? "")])
        } catch {
            throw Self.placementError(error)
        }
        return archive
    }

    /// Stops serving an agent whose lease was lost: its runs are aborted, its database closed and
    /// its files archived (out of Litestream's watched folder, so nothing more is replicated).
    func stopServing(_ agent: AgentID, reason: String) async {
        moving.insert(agent)
        defer { moving.remove(agent) }
        await host.close(agent, reason: reason)
        let state = host.state
        let host = self.host
        do {
            let archive = try await host.offThread { try state.archiveAgent(agent, global: host.globalDatabase) }
            logger.error("agent stopped", metadata: ["agent": .string(agent.value), "reason": .string(reason), "archive": .string(archive ?? "")])
        } catch {
            logger.error("agent stopped but its files could not be archived", metadata: ["agent": .string(agent.value), "error": .string("\(error)")])
        }
    }

    /// At start: takes the leases of the agents registered here again and serves them, unless
    /// another gateway took them meanwhile (they stay unserved; adopting one later restores it).
    func resumePlacedAgents() async {
        guard replication != nil else { return }
        let host = self.host
        let registered: [AgentID]
        do { registered = try await host.offThread { try host.registeredAgents().map(\.agent) } } catch {
            logger.error("cannot read the registered agents", metadata: ["error": .string("\(error)")])
            return
        }
        for agent in Set(registered).sorted() {
            do {
                let adoption = try await adopt(agent, explicitly: true)
                logger.notice("agent resumed", metadata: ["agent": .string(agent.value), "source": .string(adoption.source)])
            } catch {
                logger.warning("agent not resumed", metadata: ["agent": .string(agent.value), "error": .string("\(GatewayError.wrap(error).message)")])
                // Another gateway took it while this one was down: the files here are stale and
                // must not be written or replicated again. They are archived.
                if case .some("AGENT_ELSEWHERE") = GatewayError.wrap(error).details["code"]?.stringValue {
                    let state = host.state
                    if let archive = try? await host.offThread({ try state.archiveAgent(agent, global: host.globalDatabase) }) {
                        logger.notice("archived the stale files of an agent served elsewhere", metadata: ["agent": .string(agent.value), "archive": .string(archive)])
                    }
                }
            }
        }
    }

    /// The default model of `main`, when `main` is served here.
    func mainDefaultModel() async throws -> ModelReference? {
        if let replication, !replication.placement.holds(AgentID.main.value) { return nil }
        let host = self.host
        return try await host.offThread { try host.runtime(for: .main).settings.defaultModel() }
    }

    /// A replication failure as a client sees it.
    static func placementError(_ error: ReplicationError) -> GatewayError {
        switch error.code {
        case .ownedElsewhere:
            var details: [String: JSONValue] = ["code": "AGENT_ELSEWHERE"]
            if let url = error.ownerURL { details["owner"] = .string(url) }
            if let owner = error.owner { details["ownerHost"] = .string(owner) }
            return GatewayError(.unavailable, error.message, details: details, retryable: false)
        case .preconditionFailed:
            return GatewayError(.unavailable, error.message, details: ["code": .string(error.code.rawValue)], retryable: true, retryAfterMilliseconds: 1000)
        default:
            var details: [String: JSONValue] = ["code": .string(error.code.rawValue)]
            if let hint = error.hint { details["hint"] = .string(hint) }
            return GatewayError(.unavailable, error.message, details: details, retryable: true)
        }
    }
}
