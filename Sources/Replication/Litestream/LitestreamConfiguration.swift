import Foundation
import StateStore

/// The configuration file of the replicating daemon of one state directory.
///
/// One watched `dir:` entry covers every agent (a new agent's database is picked up without a
/// restart, a removed one dropped), one `path:` entry the host's global database. Compaction
/// levels of 5 minutes and 1 hour (the defaults are 30 s, 5 m, 1 h) and a level-0 retention check
/// every 5 minutes (the default is 15 s) cut an idle database's LIST requests: level-0 files, the
/// ones a restore to a chosen second reads, are kept 10 minutes. Credentials are not in the file: Litestream reads the AWS
/// variables of its environment.
public struct LitestreamConfiguration: Sendable {
    public let settings: ReplicaSettings
    public let stateRoot: String

    public init(settings: ReplicaSettings, state: StateDirectory) {
        self.settings = settings
        self.stateRoot = state.root
    }

    /// How often Litestream looks at each WAL and ships what it found (`monitor-interval`,
    /// `sync-interval`; both default to 1 s): a commit is in the replica about half a second
    /// after it returns, inside the 1 s loss window. An idle database costs no request for it.
    static let interval = "250ms"

    public var workDirectory: String { stateRoot + "/replication" }
    public var path: String { workDirectory + "/litestream.yml" }
    public var socketPath: String { workDirectory + "/litestream.sock" }
    public var logPath: String { workDirectory + "/litestream.log" }
    public var agentsDirectory: String { stateRoot + "/agents" }
    public var globalDatabasePath: String { stateRoot + "/state/openclaw.sqlite" }

    /// The YAML text.
    public var text: String {
        func replica(_ key: String) -> String {
            var lines = ["    replica:", "      url: \(quoted("s3://\(settings.replica.bucket)/\(key)"))", "      region: \(quoted(settings.region))",
                         "      sync-interval: \(Self.interval)"]
            if let endpoint = settings.endpoint {
                lines += ["      endpoint: \(quoted(endpoint))", "      force-path-style: true"]
            }
            return lines.joined(separator: "\n")
        }
        return """
            # Written by openclaw for the gateway of \(stateRoot); rewritten on every start.
            socket:
              enabled: true
              path: \(quoted(socketPath))
            l0-retention: 10m
            l0-retention-check-interval: 5m
            levels:
              - interval: 5m
              - interval: 1h
            dbs:
              - dir: \(quoted(agentsDirectory))
                pattern: openclaw-agent.sqlite
                recursive: true
                watch: true
                meta-path: \(quoted(workDirectory + "/meta/agents"))
                monitor-interval: \(Self.interval)
            \(replica(settings.replica.agentsKey))
              - path: \(quoted(globalDatabasePath))
                meta-path: \(quoted(workDirectory + "/meta/global"))
                monitor-interval: \(Self.interval)
            \(replica(settings.replica.hostReplicaKey(settings.hostID)))

            """
    }

    /// A YAML double-quoted scalar.
    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Writes the file (and its folder), atomically.
    public func write() throws(ReplicationError) {
        do {
            try FileManager.default.createDirectory(atPath: workDirectory + "/meta", withIntermediateDirectories: true)
            // The watched folder must exist before the daemon starts.
            try FileManager.default.createDirectory(atPath: agentsDirectory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ReplicationError(.litestream, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
