import Foundation
import GRDB
import Storage

/// The state root and the databases in it.
///
/// Layout (after OpenClaw's database-first layout):
/// - `<root>/state/openclaw.sqlite`: the global database (`agent_databases`, ...);
/// - `<root>/agents/<agentId>/agent/openclaw-agent.sqlite`: one database per agent.
///
/// The root is `--state DIR`, else `$OPENCLAW_STATE_DIR`, else `~/.openclaw`.
public final class StateDirectory: Sendable {
    /// The state root.
    public let root: String
    /// Options for every database opened from here.
    public let options: StateDatabaseOptions

    /// - parameter root: an explicit root (`--state`); `nil` uses the environment or `~/.openclaw`.
    /// - parameter createsAgents: whether opening a missing agent creates it; `nil` is yes,
    ///   except in a replicated state directory, where agents are created or restored by
    ///   adopting them through the gateway that holds their leases (a database created beside
    ///   it would be replicated over the agent's replica, which another host may own).
    public init(root: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, options: StateDatabaseOptions = .init(),
                createsAgents: Bool? = nil) {
        let chosen = root ?? environment["OPENCLAW_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".openclaw")
        let root = URL(fileURLWithPath: (chosen as NSString).expandingTildeInPath).standardizedFileURL.path
        self.root = root
        var options = options
        // A state directory on read-only media (or a read-only mount) is read as it is: every
        // database opens for reading, and writes fail with EROFS and this reason.
        self.readOnlyReason = ReadOnlyMedia.reason(forDirectory: root)
        if readOnlyReason != nil { options.readOnly = true }
        if options.spaceReserve == nil, readOnlyReason == nil { options.spaceReserve = SpaceReserve.inDirectory(root, environment: environment) }
        // A replicated state directory: Litestream runs the checkpoints that truncate.
        let replicated = FileManager.default.fileExists(atPath: root + "/" + Self.replicationSettingsFile)
        if replicated { options.passiveCheckpoints = true }
        self.createsAgents = createsAgents ?? !replicated
        self.options = options
    }

    /// Whether opening a missing agent creates it (see ``init(root:environment:options:createsAgents:)``).
    public let createsAgents: Bool

    /// Why this state directory cannot be written, or `nil` when it can (see ``ReadOnlyMedia``).
    public let readOnlyReason: String?

    /// The reserve of disk space kept in the root (see ``SpaceReserve``), if enabled.
    public var spaceReserve: SpaceReserve? { options.spaceReserve }

    /// Takes the space reserve when it is missing and the disk has room, before a database is
    /// opened for writing.
    private func holdSpaceReserve() {
        guard !options.readOnly, let reserve = options.spaceReserve, !reserve.isHeld,
              FileManager.default.fileExists(atPath: root) else { return }
        reserve.replenish()
    }

    /// The replication settings file under the root (written by `gateway run --replica`); its
    /// presence makes every database checkpoint passively.
    public static let replicationSettingsFile = "replication.json"

    /// The global database's path.
    public var globalDatabasePath: String { root + "/state/openclaw.sqlite" }

    /// The path of an agent's database.
    public func agentDatabasePath(_ agent: AgentID) -> String {
        root + "/agents/\(agent.value)/agent/openclaw-agent.sqlite"
    }

    /// Opens the global database with this module's tables and the `components` of other modules
    /// (the runtime's model catalog, ...).
    public func openGlobal(components: [SchemaComponent] = []) throws -> StateDatabase {
        holdSpaceReserve()
        return try StateDatabase(path: globalDatabasePath, identity: DatabaseIdentity(role: "global"), components: [StateSchema.component] + components, options: options)
    }

    /// Opens an agent's database with the given schema components (the VFS's, the runtime's...),
    /// creating it if needed and registering it in the global `agent_databases` table.
    /// - parameter global: the global database, when the caller has it open already (it is opened
    ///   otherwise, for the registration).
    public func openAgent(_ agent: AgentID, components: [SchemaComponent], global: StateDatabase? = nil) throws -> StateDatabase {
        let path = agentDatabasePath(agent)
        let existed = FileManager.default.fileExists(atPath: path)
        if options.readOnly, !existed {
            throw StateError(ENOENT, "agent '\(agent)' has no database at \(path)")
        }
        if !existed, !createsAgents {
            throw StateError(EPERM, "agent '\(agent)' is not on this host, and this state directory replicates to object storage: "
                             + "an agent is created or brought here by adopting it through the gateway (`openclaw agents adopt \(agent)`)")
        }
        let database = try StateDatabase(path: path, identity: DatabaseIdentity(role: "agent", agentID: agent.value), components: components, options: options)
        if !options.readOnly { try register(agent, database: database, global: global) }
        return database
    }

    /// Opens an existing database to look at it: read-only, no schema component checked or
    /// migrated, nothing created or registered. `agent` is `nil` for the global database.
    /// - throws: ``StateError`` with `ENOENT` when the file does not exist; `StorageError` when it is
    ///   unusable (corrupt, newer, another agent's).
    public func openForInspection(_ agent: AgentID?) throws -> StateDatabase {
        let path = agent.map(agentDatabasePath) ?? globalDatabasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw StateError(ENOENT, agent.map { "agent '\($0)' has no database at \(path)" } ?? "no global database at \(path)")
        }
        var readOnly = options
        readOnly.readOnly = true
        let identity = agent.map { DatabaseIdentity(role: "agent", agentID: $0.value) } ?? DatabaseIdentity(role: "global")
        return try StateDatabase(path: path, identity: identity, components: [], options: readOnly)
    }

    /// How stale `agent_databases.last_seen_at_ms` may get before an open refreshes it, so
    /// that most opens only read the global database.
    static let registrationRefreshMilliseconds: Int64 = 3_600_000

    /// Records the agent database in `agent_databases`, refreshing its size and last-seen time
    /// when the row is missing or older than ``registrationRefreshMilliseconds``.
    private func register(_ agent: AgentID, database: StateDatabase, global: StateDatabase?) throws {
        let global = try global ?? openGlobal()
        let now = SystemClock.milliseconds()
        let lastSeen = try global.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_seen_at_ms FROM agent_databases WHERE agent_id = ? AND path = ?", arguments: [agent.value, database.path])
        }
        if let lastSeen, now - lastSeen < Self.registrationRefreshMilliseconds { return }
        let size = database.fileSizes().database
        try global.write { db in
            try db.execute(sql: """
                INSERT INTO agent_databases (agent_id, path, schema_version, last_seen_at_ms, size_bytes) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(agent_id, path) DO UPDATE SET
                  schema_version = excluded.schema_version, last_seen_at_ms = excluded.last_seen_at_ms, size_bytes = excluded.size_bytes
                """, arguments: [agent.value, database.path, StateDatabase.envelopeVersion, now, size])
        }
    }

    /// The registered agents and their database paths, by agent id.
    /// Opens the global database for the reading; callers holding it open use
    /// ``registeredAgents(in:)``.
    public func registeredAgents() throws -> [(agent: AgentID, path: String)] {
        guard FileManager.default.fileExists(atPath: globalDatabasePath) else { return [] }
        let global = try openForInspection(nil)
        defer { try? global.close() }
        return try registeredAgents(in: global)
    }

    /// The registered agents and their database paths, by agent id, read from `global` (this
    /// directory's global database, already open).
    public func registeredAgents(in global: StateDatabase) throws -> [(agent: AgentID, path: String)] {
        let rows = try global.read { db in
            try Row.fetchAll(db, sql: "SELECT agent_id, path FROM agent_databases ORDER BY agent_id, path")
        }
        return try rows.map { (try AgentID($0["agent_id"]), $0["path"]) }
    }
}
