import Foundation
import GRDB
import Storage

/// Moving agents' databases in and out of a state directory, for agents that move between hosts.
extension StateDirectory {
    /// The folder of one agent (`<root>/agents/<agentId>`).
    public func agentFolder(_ agent: AgentID) -> String { root + "/agents/\(agent.value)" }

    /// Where archived agents go (`<root>/archive/agents`): released or lost agents' files, kept
    /// for inspection and never served or replicated.
    public var archiveFolder: String { root + "/archive/agents" }

    /// Takes the agent out of the directory: removes it from `agent_databases` and moves its folder
    /// (closed databases only) to ``archiveFolder`` under `<agentId>-<unix ms>`. Returns the
    /// archive's path, or `nil` when the agent had no folder.
    @discardableResult
    public func archiveAgent(_ agent: AgentID, global: StateDatabase) throws -> String? {
        try unregister(agent, in: global)
        let folder = agentFolder(agent)
        guard FileManager.default.fileExists(atPath: folder) else { return nil }
        let target = archiveFolder + "/\(agent.value)-\(SystemClock.milliseconds())"
        do {
            try FileManager.default.createDirectory(atPath: archiveFolder, withIntermediateDirectories: true)
        } catch {
            throw StateError(EIO, "cannot create \(archiveFolder): \(error.localizedDescription)")
        }
        guard rename(folder, target) == 0 else {
            let code = errno
            throw StateError(code, "cannot move \(folder) to \(target): \(String(cString: strerror(code)))")
        }
        return target
    }

    /// Puts a database file (a restore, closed) in place as the agent's database, by rename on the
    /// same filesystem. The agent must have no folder.
    public func installAgentDatabase(_ agent: AgentID, from file: String) throws {
        let destination = agentDatabasePath(agent)
        guard !FileManager.default.fileExists(atPath: agentFolder(agent)) else {
            throw StateError(EEXIST, "agent '\(agent)' already has a folder at \(agentFolder(agent))")
        }
        do {
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw StateError(EIO, "cannot create the folder of agent '\(agent)': \(error.localizedDescription)")
        }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: file + suffix) {
            guard rename(file + suffix, destination + suffix) == 0 else {
                let code = errno
                throw StateError(code, "cannot move \(file + suffix) into place: \(String(cString: strerror(code)))")
            }
        }
        guard rename(file, destination) == 0 else {
            let code = errno
            throw StateError(code, "cannot move \(file) to \(destination): \(String(cString: strerror(code)))")
        }
    }

    /// Removes the agent from `agent_databases` (its files stay).
    public func unregister(_ agent: AgentID, in global: StateDatabase) throws {
        try global.write { db in
            try db.execute(sql: "DELETE FROM agent_databases WHERE agent_id = ?", arguments: [agent.value])
        }
    }

}
