import Foundation

/// An agent's ownership lease, the object `PREFIX/leases/<agentId>`: who serves the agent, where,
/// and until when (Unix milliseconds, wall clock). A lease whose `expiresAt` passed is free; a
/// released lease is written with `expiresAt` 0.
public struct Lease: Sendable, Codable, Equatable {
    /// The owner's host id.
    public var owner: String
    /// The owner's advertised URL (where clients should go), when it has one.
    public var url: String?
    /// When the lease ends unless renewed, in Unix milliseconds.
    public var expiresAt: Int64

    public init(owner: String, url: String?, expiresAt: Int64) {
        self.owner = owner
        self.url = url
        self.expiresAt = expiresAt
    }

    public func isLive(at now: Int64) -> Bool { expiresAt > now }
}

/// A lease this host holds: the ETag its next renewal must match, and the local deadline by which
/// it must be renewed or given up.
public struct HeldLease: Sendable {
    public var agent: String
    public var etag: String
    public var lease: Lease
    /// When this host stops serving the agent unless a renewal succeeds first (monotonic clock):
    /// a fraction of the lease before it can expire for anyone else.
    public var deadline: ContinuousClock.Instant

}
