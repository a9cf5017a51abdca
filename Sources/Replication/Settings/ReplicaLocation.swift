import Foundation

/// Where replicas live: `s3://BUCKET/PREFIX`.
///
/// Under the prefix: `agents/<agentId>/agent/openclaw-agent.sqlite/` holds each agent's
/// Litestream replica (the path of its database under the state directory's `agents/`),
/// `hosts/<hostId>/openclaw.sqlite/` each gateway's global database, and `leases/<agentId>`
/// each agent's ownership lease.
public struct ReplicaLocation: Sendable, Hashable, CustomStringConvertible {
    public let bucket: String
    /// The key prefix, without leading or trailing `/` (may be empty).
    public let prefix: String

    /// Parses `s3://BUCKET[/PREFIX]`.
    public init(_ text: String) throws(ReplicationError) {
        let hint = "give the replica as s3://BUCKET/PREFIX"
        guard text.hasPrefix("s3://") else {
            throw ReplicationError(.invalidSettings, "replica \(text.debugDescription) is not an s3:// URL", hint: hint)
        }
        let rest = text.dropFirst("s3://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(parts.first ?? "")
        guard Self.isValidBucket(bucket) else {
            throw ReplicationError(.invalidSettings, "replica \(text.debugDescription): \(bucket.debugDescription) is not a bucket name (3 to 63 of a-z 0-9 . -)", hint: hint)
        }
        let prefix = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "/")) : ""
        guard prefix.utf8.count <= 512, !prefix.contains("//"), !prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }),
              prefix.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f && !"?#\\".unicodeScalars.contains($0) }) else {
            throw ReplicationError(.invalidSettings, "replica \(text.debugDescription): the prefix must be plain path segments (no //, . or .., ? # \\ or control characters)", hint: hint)
        }
        self.bucket = bucket
        self.prefix = prefix
    }

    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == 0x2e || $0 == 0x2d } && !name.contains("..")
    }

    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// The object key of `relative` under the prefix.
    public func key(_ relative: String) -> String { prefix.isEmpty ? relative : prefix + "/" + relative }

    /// The key prefix of the agents' replicas.
    public var agentsKey: String { key("agents") }

    /// The key prefix of one agent's replica (its database's path under `agents/`).
    public func agentReplicaKey(_ agent: String) -> String { key("agents/\(agent)/agent/openclaw-agent.sqlite") }

    /// The key of an agent's lease.
    public func leaseKey(_ agent: String) -> String { key("leases/\(agent)") }

    /// The key prefix of a host's global database replica.
    public func hostReplicaKey(_ host: String) -> String { key("hosts/\(host)/openclaw.sqlite") }
}
