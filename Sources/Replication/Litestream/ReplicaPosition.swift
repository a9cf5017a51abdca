import Foundation

/// How far one database's replica is behind it: the last transaction Litestream captured locally
/// (its LTX files in the metadata folder) against the last one in the replica.
public struct ReplicaPosition: Sendable, Codable {
    public var agent: String
    /// The last transaction captured locally, when this host replicates the agent.
    public var localTXID: Int64?
    /// The last transaction in the replica.
    public var replicaTXID: Int64?
    /// When the replica's last file was written (ISO 8601).
    public var lastReplicatedAt: String?
    /// Transactions captured locally and not yet in the replica.
    public var lagTransactions: Int64?
    /// How long the oldest of those has waited, in milliseconds (0 when none).
    public var lagMilliseconds: Int64?
    /// The lease's owner, state (`held`, `expired`, `released`, `free`) and expiry.
    public var owner: String?
    public var leaseState: String
    public var leaseExpiresAt: Int64?

    public init(agent: String, localTXID: Int64?, replicaTXID: Int64?, lastReplicatedAt: String?, lagTransactions: Int64?, lagMilliseconds: Int64?,
                owner: String?, leaseState: String, leaseExpiresAt: Int64?) {
        self.agent = agent
        self.localTXID = localTXID
        self.replicaTXID = replicaTXID
        self.lastReplicatedAt = lastReplicatedAt
        self.lagTransactions = lagTransactions
        self.lagMilliseconds = lagMilliseconds
        self.owner = owner
        self.leaseState = leaseState
        self.leaseExpiresAt = leaseExpiresAt
    }

    /// Reads the local side from Litestream's metadata folder (`meta/agents/<id>/agent/...`).
    public static func localTXIDs(agent: String, configuration: LitestreamConfiguration) -> [(txid: Int64, modified: Date)] {
        let folder = configuration.workDirectory + "/meta/agents/\(agent)/agent/.openclaw-agent.sqlite-litestream/ltx/0"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.compactMap { name -> (Int64, Date)? in
            guard name.hasSuffix(".ltx"), let maxPart = name.dropLast(4).split(separator: "-").last, let txid = Int64(maxPart, radix: 16) else { return nil }
            let modified = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name))?[.modificationDate] as? Date ?? Date()
            return (txid, modified)
        }.sorted { $0.0 < $1.0 }
    }

    /// The replica side: the highest transaction of every level and the newest file's time.
    public static func replicaSide(_ files: [Litestream.LTXFile]) -> (txid: Int64?, at: String?) {
        let txid = files.compactMap { Int64($0.maxTXID, radix: 16) }.max()
        let at = files.map(\.timestamp).max()
        return (txid, at)
    }
}
