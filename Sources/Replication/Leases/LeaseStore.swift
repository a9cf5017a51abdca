import Foundation
import Storage

/// Leases in the object store, taken and renewed with conditional writes: `If-None-Match: *`
/// creates one, `If-Match: <etag>` renews or takes over an expired one, so two gateways can never
/// both believe they won the same lease.
public struct LeaseStore: Sendable {
    public let client: S3Client
    public let location: ReplicaLocation
    public let hostID: String
    public let advertise: String?
    /// How long a lease lasts without renewal.
    public let duration: Duration

    public init(client: S3Client, location: ReplicaLocation, hostID: String, advertise: String?, duration: Duration) {
        self.client = client
        self.location = location
        self.hostID = hostID
        self.advertise = advertise
        self.duration = duration
    }

    public init(settings: ReplicaSettings, client: S3Client) {
        self.init(client: client, location: settings.replica, hostID: settings.hostID, advertise: settings.advertise,
                  duration: .milliseconds(Int64(settings.leaseSeconds * 1000)))
    }

    /// The local deadline is this share of the lease: a holder that cannot renew stops serving
    /// with a third of the lease still to run, so clock skew and a slow stop stay inside it.
    static let deadlineShare = 2.0 / 3.0

    private var durationMilliseconds: Int64 { Int64(duration / .milliseconds(1)) }

    /// The agent's lease as stored, with its ETag, or `nil` when it has none.
    public func read(_ agent: String) async throws(ReplicationError) -> (lease: Lease, etag: String)? {
        guard let object = try await client.get(location.leaseKey(agent)) else { return nil }
        guard let lease = try? JSONDecoder().decode(Lease.self, from: object.body) else {
            // Unreadable: treated as expired, and overwritten only by a conditional write.
            return (Lease(owner: "", url: nil, expiresAt: 0), object.etag)
        }
        return (lease, object.etag)
    }

    /// Takes the agent's lease: creates it, or takes it over when it expired, was released or is
    /// this host's own (a restart).
    /// - parameter url: the URL to advertise in the lease (default ``advertise``).
    /// - parameter current: the lease as the caller just read it (`.some(nil)`: there was none),
    ///   so that the first write is the one that can succeed; `.none` reads it first.
    /// - throws: ``ReplicationError/Code/ownedElsewhere`` with the owner's URL when another host holds it.
    public func acquire(_ agent: String, url: String? = nil, current: (lease: Lease, etag: String)?? = .none) async throws(ReplicationError) -> HeldLease {
        var known = current
        for _ in 0..<3 {
            let found: (lease: Lease, etag: String)?
            if let known { found = known } else { found = try await read(agent) }
            known = .none
            if let found, found.lease.owner != hostID, found.lease.isLive(at: SystemClock.milliseconds()) {
                throw ownedElsewhere(agent, found.lease)
            }
            let started = ContinuousClock.now
            let lease = Lease(owner: hostID, url: url ?? advertise, expiresAt: SystemClock.milliseconds() + durationMilliseconds)
            do {
                let etag = try await client.put(location.leaseKey(agent), body: try encoded(lease), condition: found.map { .matches($0.etag) } ?? .absent)
                return held(agent, lease, etag, started)
            } catch let error where error.code == .preconditionFailed {
                continue
            }
        }
        throw ReplicationError(.preconditionFailed, "the lease of agent \(agent) kept changing while it was taken; try again")
    }

    /// Extends a held lease by its duration.
    /// - throws: ``ReplicationError/Code/preconditionFailed`` when somebody else wrote the lease
    ///   (it is lost); ``ReplicationError/Code/objectStore`` when the store did not answer.
    public func renew(_ held: HeldLease, url: String? = nil) async throws(ReplicationError) -> HeldLease {
        let started = ContinuousClock.now
        var lease = held.lease
        if let url { lease.url = url }
        lease.expiresAt = SystemClock.milliseconds() + durationMilliseconds
        let etag = try await client.put(location.leaseKey(held.agent), body: try encoded(lease), condition: .matches(held.etag))
        return self.held(held.agent, lease, etag, started)
    }

    /// Gives the lease up at once, so another host may take it without waiting: as released
    /// (`expiresAt` 0: a hand-off, which this host does not take back on a request), or only as
    /// expired (`expiresAt` 1: an adoption that failed, which any request may retry).
    public func release(_ held: HeldLease, asReleased: Bool = true) async throws(ReplicationError) {
        var lease = held.lease
        lease.expiresAt = asReleased ? 0 : 1
        try await client.put(location.leaseKey(held.agent), body: try encoded(lease), condition: .matches(held.etag))
    }

    /// Deletes the agent's lease (the agent is deleted).
    public func remove(_ agent: String) async throws(ReplicationError) {
        try await client.delete(location.leaseKey(agent))
    }

    public func ownedElsewhere(_ agent: String, _ lease: Lease) -> ReplicationError {
        let remaining = max(0, lease.expiresAt - SystemClock.milliseconds())
        return ReplicationError(.ownedElsewhere, "agent \(agent) is served by gateway \(lease.owner)" + (lease.url.map { " at \($0)" } ?? "")
                                + " (its lease runs \(remaining) ms more unless renewed)",
                                hint: "send requests for it there, or `openclaw agents release \(agent)` on that gateway first",
                                owner: lease.owner, ownerURL: lease.url)
    }

    private func held(_ agent: String, _ lease: Lease, _ etag: String, _ started: ContinuousClock.Instant) -> HeldLease {
        HeldLease(agent: agent, etag: etag, lease: lease, deadline: started + duration * Self.deadlineShare)
    }

    private func encoded(_ lease: Lease) throws(ReplicationError) -> Data {
        do { return try JSONEncoder().encode(lease) } catch { throw ReplicationError(.objectStore, "cannot encode a lease: \(error)") }
    }
}
