import Foundation
import Storage

/// What ``StateDirectory/createBackup(output:progress:)`` wrote.
public struct StateBackupReport: Sendable, Codable {
    /// One database in the archive.
    public struct Member: Sendable, Codable {
        /// The member name, relative to the state root (`state/openclaw.sqlite`, ...).
        public var name: String
        /// The size of the compacted copy.
        public var bytes: Int64
        /// The result of `PRAGMA integrity_check` on the copy (`ok`).
        public var integrity: String
        /// The damaged files found in the copy, archived anyway because the caller allowed it.
        public var damaged: [String] = []
    }

    /// The archive file.
    public var output: String
    public var createdAt: String
    public var databases: [Member]
}

extension StateDirectory {
    /// The per-agent database files present under `agents/`, whether registered or not.
    public func agentDatabasesOnDisk() -> [(agent: AgentID, path: String)] {
        let agentsDirectory = root + "/agents"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: agentsDirectory)) ?? []
        return names.sorted().compactMap { name in
            guard let agent = try? AgentID(name), agent.value == name else { return nil }
            let path = agentDatabasePath(agent)
            return FileManager.default.fileExists(atPath: path) ? (agent, path) : nil
        }
    }

    /// The name of the manifest member of a backup archive.
    public static let backupManifestName = "openclaw-backup.json"

    /// Writes a tar archive of every database in the state root: each a `VACUUM INTO` copy proven
    /// by `PRAGMA integrity_check`, plus ``backupManifestName``. Members keep their paths relative
    /// to the root (directories 0700, files 0600), so `tar -xf FILE -C ROOT` restores them. The
    /// archive appears only when complete.
    ///
    /// `verify` reads each copy (opened read-only) and returns its damaged files, described for
    /// people; the VFS's checksums are the modules' own business, so the caller supplies it. Any
    /// damage fails the backup, writing nothing, unless `allowDamaged` (the damage is then listed
    /// in the report and the manifest).
    public func createBackup(output: String, allowDamaged: Bool = false, verify: ((StateDatabase) throws -> [String])? = nil,
                             progress: ((String) -> Void)? = nil) throws -> StateBackupReport {
        let output = URL(fileURLWithPath: output).standardizedFileURL.path
        if FileManager.default.fileExists(atPath: output) {
            throw StateError(EEXIST, "\(output) already exists; choose another --output")
        }
        guard FileManager.default.fileExists(atPath: globalDatabasePath) || !agentDatabasesOnDisk().isEmpty else {
            throw StateError(ENOENT, "no state databases under \(root) to back up")
        }
        let staging = output + ".partial-\(getpid())"
        try FilePermissions.createPrivateDirectory(staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }

        var sources: [(name: String, identity: DatabaseIdentity, database: () throws -> StateDatabase)] = []
        sources.append(("state/openclaw.sqlite", DatabaseIdentity(role: "global"), { try self.openGlobal() }))
        var seen = Set<String>()
        let agents = ((try? registeredAgents()) ?? []).filter { FileManager.default.fileExists(atPath: $0.path) } + agentDatabasesOnDisk()
        for (agent, path) in agents where seen.insert(path).inserted && path == agentDatabasePath(agent) {
            let identity = DatabaseIdentity(role: "agent", agentID: agent.value)
            sources.append(("agents/\(agent.value)/agent/openclaw-agent.sqlite", identity, {
                try StateDatabase(path: path, identity: identity, components: [], options: self.options)
            }))
        }

        var members: [StateBackupReport.Member] = []
        var copies: [(String, String)] = []
        for (index, source) in sources.enumerated() {
            progress?("backing up \(source.name) (\(index + 1)/\(sources.count))")
            let copy = staging + "/\(index).sqlite"
            let result = try source.database().backup(to: copy)
            var damaged: [String] = []
            if let verify {
                progress?("verifying \(source.name) (\(index + 1)/\(sources.count))")
                var readOnly = options
                readOnly.readOnly = true
                readOnly.journalPolicy = .rollback
                let database = try StateDatabase(path: copy, identity: source.identity, components: [], options: readOnly)
                defer { try? database.close() }
                damaged = try verify(database)
            }
            members.append(.init(name: source.name, bytes: result.bytes, integrity: "ok", damaged: damaged))
            copies.append((source.name, copy))
        }
        let damage = members.flatMap { member in member.damaged.map { "\(member.name): \($0)" } }
        if !damage.isEmpty, !allowDamaged {
            throw StorageError(.integrityCheckFailed, path: root,
                               message: "\(damage.count) damaged file(s), nothing archived (--allow-damaged archives them anyway): " + damage.joined(separator: "; "),
                               errno: EIO)
        }
        let report = StateBackupReport(output: output, createdAt: ISO8601DateFormatter().string(from: Date()), databases: members)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifest = try encoder.encode(report)

        let partial = output + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        let tar = try TarWriter(path: partial)
        do {
            var directories = Set<String>()
            for (name, copy) in copies {
                var parents: [String] = []
                var parent = (name as NSString).deletingLastPathComponent
                while !parent.isEmpty {
                    parents.append(parent)
                    parent = (parent as NSString).deletingLastPathComponent
                }
                for directory in parents.reversed() where directories.insert(directory).inserted {
                    try tar.addDirectory(named: directory)
                }
                try tar.addFile(named: name, from: copy)
            }
            try tar.addFile(named: Self.backupManifestName, data: manifest)
            try tar.finish()
        } catch {
            tar.abandon()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        guard rename(partial, output) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: partial)
            throw StateError(code, "cannot move the archive into place at \(output): \(String(cString: strerror(code)))")
        }
        return report
    }
}
