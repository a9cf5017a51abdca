import AgentRuntime
import Foundation
import Synchronization

/// One client socket after its handshake: what it negotiated and where its frames go.
final class GatewayConnection: Sendable {
    let id: String
    /// The peer's address (for the auth rate limit and logs).
    let peer: String
    let outbox: Outbox
    /// The protocol version agreed in `connect` (3 or 4).
    let protocolVersion: Int
    /// The scopes granted.
    let scopes: Set<String>
    /// The client's capabilities (`tool-events`).
    let caps: Set<String>
    let clientID: String
    let clientVersion: String
    let platform: String
    let mode: String
    /// When the handshake finished, in milliseconds since 1970.
    let connectedAt = RuntimeClock.milliseconds()

    init(id: String, peer: String, outbox: Outbox, protocolVersion: Int, scopes: Set<String>, caps: Set<String>, clientID: String,
         clientVersion: String, platform: String, mode: String) {
        self.id = id
        self.peer = peer
        self.outbox = outbox
        self.protocolVersion = protocolVersion
        self.scopes = scopes
        self.caps = caps
        self.clientID = clientID
        self.clientVersion = clientVersion
        self.platform = platform
        self.mode = mode
    }

    /// Whether the connection may see run and session events.
    var canRead: Bool { GatewayScope.grants(scopes, GatewayScope.read) }
}

/// The operator scopes and what they imply: admin includes write, write includes read.
enum GatewayScope {
    static let read = "operator.read"
    static let write = "operator.write"
    static let admin = "operator.admin"
    static let known: Set<String> = [read, write, admin, "operator.approvals", "operator.pairing", "operator.talk.secrets"]

    static func grants(_ scopes: Set<String>, _ required: String) -> Bool {
        switch required {
        case read: !scopes.isDisjoint(with: [read, write, admin])
        case write: !scopes.isDisjoint(with: [write, admin])
        default: scopes.contains(required)
        }
    }
}

/// Failed token checks per peer address, for `AUTH_RATE_LIMITED`.
final class AuthFailureLimiter: Sendable {
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])
    let limit: Int
    let window: Duration

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// How long `peer` must wait before trying again, or `nil` when it may try now.
    func retryAfter(_ peer: String, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { table in
            let recent = (table[peer] ?? []).filter { now - $0 < window }
            table[peer] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    func recordFailure(_ peer: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { table in
            var recent = (table[peer] ?? []).filter { now - $0 < window }
            recent.append(now)
            // Bounded per peer, and the table is pruned of peers whose window passed.
            table[peer] = Array(recent.suffix(limit))
            if table.count > 10_000 { table = table.filter { !$0.value.isEmpty && now - ($0.value.last ?? now) < window } }
        }
    }

    func recordSuccess(_ peer: String) {
        failures.withLock { $0[peer] = nil }
    }
}
