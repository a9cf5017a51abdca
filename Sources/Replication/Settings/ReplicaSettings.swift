import Foundation
import StateStore

/// A state directory's replication settings, kept in `<state>/replication.json` (no credentials:
/// those come from the usual AWS variables of each process).
public struct ReplicaSettings: Sendable, Equatable {
    /// `s3://BUCKET/PREFIX`.
    public var replica: ReplicaLocation
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`); `nil` is AWS in ``region``.
    public var endpoint: String?
    /// The region requests are signed for.
    public var region: String
    /// This gateway's id in leases and under `hosts/` (the id grammar of agent ids).
    public var hostID: String
    /// The URL other gateways send clients to for the agents this one owns.
    public var advertise: String?
    /// How long a lease lasts without renewal, in seconds.
    public var leaseSeconds: Double

    public static let defaultLeaseSeconds = 15.0

    public init(replica: ReplicaLocation, endpoint: String? = nil, region: String = "us-east-1", hostID: String, advertise: String? = nil,
                leaseSeconds: Double = defaultLeaseSeconds) throws(ReplicationError) {
        guard Identifier.isValid(hostID) else {
            throw ReplicationError(.invalidSettings, "host id \(hostID.debugDescription) must be 1 to 64 of a-z 0-9 _ - starting with a letter or digit")
        }
        if let endpoint {
            guard let url = URL(string: endpoint), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil,
                  url.path.isEmpty || url.path == "/", url.query == nil else {
                throw ReplicationError(.invalidSettings, "S3 endpoint \(endpoint.debugDescription) must be an http:// or https:// URL with a host and no path")
            }
        }
        guard leaseSeconds >= 3, leaseSeconds <= 600 else {
            throw ReplicationError(.invalidSettings, "a lease must last 3 to 600 seconds (got \(leaseSeconds))")
        }
        self.replica = replica
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.region = region
        self.hostID = hostID
        self.advertise = advertise
        self.leaseSeconds = leaseSeconds
    }

    /// The settings file of a state directory.
    public static func path(in state: StateDirectory) -> String { state.root + "/" + StateDirectory.replicationSettingsFile }

    /// The folder of Litestream's configuration, socket and metadata (outside `agents/`, which
    /// Litestream watches).
    public static func workDirectory(in state: StateDirectory) -> String { state.root + "/replication" }

    /// The saved settings, or `nil` when replication is not configured.
    public static func load(from state: StateDirectory) throws(ReplicationError) -> ReplicaSettings? {
        let path = path(in: state)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            let saved = try JSONDecoder().decode(Saved.self, from: data)
            return try ReplicaSettings(replica: ReplicaLocation(saved.replica), endpoint: saved.endpoint, region: saved.region, hostID: saved.hostID,
                                       advertise: saved.advertise, leaseSeconds: saved.leaseSeconds)
        } catch let error as ReplicationError {
            throw ReplicationError(.invalidSettings, "\(path): \(error.message)", hint: "run `openclaw gateway run --replica ...` again to rewrite it")
        } catch {
            throw ReplicationError(.invalidSettings, "\(path) is not valid replication settings: \(error)", hint: "run `openclaw gateway run --replica ...` again to rewrite it")
        }
    }

    /// Writes the settings atomically (a new file renamed over the old).
    public func save(to state: StateDirectory) throws(ReplicationError) {
        let path = Self.path(in: state)
        let saved = Saved(replica: replica.description, endpoint: endpoint, region: region, hostID: hostID, advertise: advertise, leaseSeconds: leaseSeconds)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileManager.default.createDirectory(atPath: state.root, withIntermediateDirectories: true)
            try encoder.encode(saved).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ReplicationError(.invalidSettings, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The file's form: plain strings, so that a hand edit reads as it looks.
    private struct Saved: Codable {
        var replica: String
        var endpoint: String?
        var region: String
        var hostID: String
        var advertise: String?
        var leaseSeconds: Double
    }

    /// A host id from this machine's name, in the id grammar.
    public static func defaultHostID() -> String {
        let name = ProcessInfo.processInfo.hostName.lowercased()
        let mapped = String(name.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(64))
        let trimmed = String(mapped.drop(while: { $0 == "-" || $0 == "_" }))
        return Identifier.isValid(trimmed) ? trimmed : "host"
    }
}
