import Foundation
import GRDB
import StateStore
import Storage
import VFS

/// Checks the state root: schema versions, integrity and WAL size of every database, and legacy
/// files that `--fix` imports into SQLite.
public struct Doctor: Sendable {
    /// The state root.
    public let state: StateDirectory
    /// A WAL larger than this is reported (64 MiB, the journal size limit).
    public static let walWarningBytes: Int64 = 64 << 20

    /// Creates a doctor for `state`.
    public init(state: StateDirectory) {
        self.state = state
    }

    /// Inspects without changing anything: every database is opened read-only and nothing is
    /// migrated or registered. Unless `quick`, every stored content is read and checked against
    /// its checksums; `progress` gets a line about every 64 MiB.
    public func inspect(quick: Bool = false, progress: (String) -> Void = { _ in }) -> DoctorReport {
        var report = DoctorReport()
        if let reason = state.readOnlyReason {
            report.notes.append("the state directory is read-only (\(reason)): reads work; nothing here can be changed or repaired")
        }
        report.databases = databases(&report, quick: quick, progress: progress)
        report.legacy = legacySources()
        for source in report.legacy {
            report.problems.append("legacy \(source.kind) file \(source.path) is not imported; run `openclaw doctor --fix`")
        }
        return report
    }

    /// Imports every legacy file (each in one transaction, verified, recorded in
    /// `migration_runs`/`migration_sources`, the source removed only afterwards), collects the
    /// staged chunks of killed uploads, gives free pages back to the filesystem in steps that fit
    /// the free space, then inspects.
    public func fix(quick: Bool = false, progress: (String) -> Void = { _ in }) -> DoctorReport {
        if let reason = state.readOnlyReason {
            var report = inspect(quick: quick, progress: progress)
            report.problems.append("cannot fix a read-only state directory (\(reason)); copy it to writable storage and run `openclaw doctor --fix` there")
            return report
        }
        var imports: [LegacyImportResult] = []
        let sources = legacySources()
        if !sources.isEmpty {
            do {
                let importer = try LegacyImporter(state: state)
                imports = importer.importAll(sources)
            } catch {
                var report = inspect(quick: quick, progress: progress)
                report.problems.append("cannot start the import: \(AgentRuntimeError.wrap(error).message)")
                return report
            }
        }
        let repairs = maintain(progress: progress)
        var report = inspect(quick: quick, progress: progress)
        report.imports = imports
        report.problems.removeAll { $0.hasPrefix("legacy ") }
        for source in report.legacy {
            report.problems.append("legacy \(source.kind) file \(source.path) could not be imported; it is left in place")
        }
        for index in report.databases.indices { report.databases[index].repairs = repairs[report.databases[index].path] ?? [] }
        return report
    }

    /// A staged upload idle this long is abandoned whoever its writer was (a live writer touches
    /// it every staging batch, within seconds); one whose writer is dead is collected at once.
    public static let abandonedUploadIdle: Duration = .seconds(3600)

    /// `--fix`'s work on each database: staged uploads of killed writers, free pages. Returns
    /// what was done, by database path.
    private func maintain(progress: (String) -> Void) -> [String: [String]] {
        var repairs: [String: [String]] = [:]
        func reclaim(_ database: StateDatabase) {
            do {
                let reclaimed = try database.reclaimFreePages()
                if reclaimed.freedBytes > 0 {
                    repairs[database.path, default: []].append("gave \(reclaimed.freedBytes) bytes back to the filesystem in \(reclaimed.steps) step(s)")
                }
                if let note = reclaimed.note { repairs[database.path, default: []].append("free pages remain: \(note)") }
            } catch {
                repairs[database.path, default: []].append("could not reclaim free pages: \(error)")
            }
        }
        state.spaceReserve?.release()
        defer { state.spaceReserve?.replenish() }
        if FileManager.default.fileExists(atPath: state.globalDatabasePath), let global = try? state.openGlobal() {
            progress("reclaiming free pages: global")
            reclaim(global)
            try? global.close()
        }
        for (agent, path) in state.agentDatabasesOnDisk() {
            do {
                let database = try state.openAgent(agent, components: [AgentRuntime.fileSystemSchema])
                defer { try? database.close() }
                let vfs = VirtualFileSystem(database: database, builtInNamespaces: AgentRuntime.builtInNamespaces)
                let collected = try vfs.collectKilledUploads() + vfs.collectAbandonedUploads(olderThan: Self.abandonedUploadIdle)
                if collected > 0 { repairs[path, default: []].append("collected \(collected) staged upload(s) of killed writers") }
                let released = try vfs.collectReleasedContents()
                if released > 0 { repairs[path, default: []].append("collected \(released) released content(s) past their grace period") }
                progress("reclaiming free pages: agent \(agent)")
                reclaim(database)
            } catch {
                repairs[path, default: []].append("could not open it to repair: \(error)")
            }
        }
        return repairs
    }

    private func databases(_ report: inout DoctorReport, quick: Bool, progress: (String) -> Void) -> [DatabaseHealth] {
        var result: [DatabaseHealth] = []
        if FileManager.default.fileExists(atPath: state.globalDatabasePath) {
            result.append(health(role: "global", agent: nil, path: state.globalDatabasePath, quick: quick, progress: progress) { try state.openForInspection(nil) })
        } else {
            report.notes.append("no global database at \(state.globalDatabasePath) yet (it is created on first use)")
        }
        var seen: Set<String> = []
        let registered = registeredAgents()
        for (agent, path) in registered where !FileManager.default.fileExists(atPath: path) {
            report.problems.append("agent '\(agent)' is registered with \(path), which does not exist")
        }
        for (agent, path) in state.agentDatabasesOnDisk() where seen.insert(path).inserted {
            result.append(health(role: "agent", agent: agent.value, path: path, quick: quick, progress: progress) { try state.openForInspection(agent) })
        }
        return result
    }

    /// The registered agents, read through a read-only open of the global database.
    private func registeredAgents() -> [(agent: String, path: String)] {
        ((try? state.registeredAgents()) ?? []).map { ($0.agent.value, $0.path) }
    }

    private func health(role: String, agent: String?, path: String, quick: Bool, progress: (String) -> Void,
                        open: () throws -> StateDatabase) -> DatabaseHealth {
        var health = DatabaseHealth(role: role, agentID: agent, path: path, envelopeVersion: 0, components: [:], integrity: [], sizeBytes: 0, walBytes: 0,
                                    journal: "", problems: [])
        let name = agent.map { "agent \($0)" } ?? role
        health.diskFreeBytes = DiskSpace.available(at: path)
        health.diskBytes = DiskSpace.capacity(at: path)
        do {
            let database = try open()
            defer { try? database.close() }
            let versions = try database.schemaVersions()
            health.envelopeVersion = versions.envelope
            health.components = versions.components
            health.integrity = try database.integrityCheck()
            let sizes = database.fileSizes()
            health.sizeBytes = sizes.database
            health.walBytes = sizes.wal
            health.journal = "\(database.journal.rawValue) (\(database.journalReason))" + (database.isImmutable ? "; read as immutable (no WAL index file)" : "")
            if health.integrity != ["ok"] {
                health.problems.append("integrity check failed: \(health.integrity.prefix(5).joined(separator: "; "))")
                health.isDamaged = true
            }
            if sizes.wal > Self.walWarningBytes {
                health.problems.append("the WAL is \(sizes.wal >> 20) MiB (over \(Self.walWarningBytes >> 20) MiB): a reader may be holding it open")
            }
            let free = try database.freePages()
            health.freelistBytes = free.freelistBytes
            health.incrementalVacuum = free.incrementalVacuum
            if let version = versions.components["vfs"] {
                try inspectFiles(&health, VirtualFileSystem(database: database), version: version, name: name, quick: quick, progress: progress)
            }
        } catch {
            health.problems.append("cannot open: \(error)")
            if let error = error as? StorageError, error.code == .corrupt { health.isDamaged = true }
            if let error = error as? VFSError, error.isDamage { health.isDamaged = true }
            health.envelopeVersion = StateDatabase.headerUserVersion(path) ?? 0
        }
        if let free = health.diskFreeBytes, free < 4 * DiskSpace.nearlyFullBytes {
            health.problems.append("the disk holding it is nearly full (\(free) bytes free): remove files (`openclaw vfs rm`), then `openclaw doctor --fix`")
        }
        return health
    }

    /// The VFS part of a database's health: checksums of every content (unless `quick`),
    /// staged uploads, tampered rows.
    private func inspectFiles(_ health: inout DatabaseHealth, _ vfs: VirtualFileSystem, version: Int, name: String, quick: Bool,
                              progress: (String) -> Void) throws {
        if version < 2 {
            health.problems.append("its contents have no checksums yet (vfs tables v\(version)): `openclaw doctor --fix` or any write adds them")
        } else if !quick {
            let verification = try vfs.verifyContents { checked, total in
                progress("verifying \(name): \(checked >> 20) of \(total >> 20) MiB")
            }
            health.contents = verification
            for file in verification.damaged {
                let shown = file.path.isEmpty ? "a staged upload" : "\(file.namespace):\(TerminalText.quoted(file.path))"
                health.problems.append("damaged file \(shown): \(file.problem)")
            }
            if !verification.damaged.isEmpty { health.isDamaged = true }
        }
        let staged = try vfs.stagedUploads()
        health.stagedUploads = staged
        if staged.killed > 0 {
            health.problems.append("\(staged.killed) staged upload(s) of killed writers hold \(staged.killedBytes) bytes: `openclaw doctor --fix` collects them")
        } else if staged.count > 0, staged.longestIdleNanoseconds > Int64(Self.abandonedUploadIdle.components.seconds) * 1_000_000_000 {
            health.problems.append("\(staged.count) staged upload(s) idle for over an hour hold \(staged.bytes) bytes: `openclaw doctor --fix` collects them")
        }
        if version >= 3 {
            (health.releasedContentCount, health.releasedContentBytes) = try vfs.releasedContents()
        }
        health.tampered = try vfs.tamperedEntries()
        for entry in health.tampered {
            health.problems.append("invalid entry row \(entry.namespace):\(TerminalText.quoted(entry.path)): \(entry.problem); readers skip it")
        }
    }

    /// Legacy files under `agents/<id>/`: `agent/auth.json`, `agent/auth-profiles.json`,
    /// `sessions/sessions.json` (with its `*.jsonl` transcripts).
    public func legacySources() -> [LegacySource] {
        let agentsDirectory = state.root + "/agents"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: agentsDirectory)) ?? []
        var result: [LegacySource] = []
        for name in names.sorted() {
            guard let agent = try? AgentID(name), agent.value == name else { continue }
            let base = "\(agentsDirectory)/\(name)"
            for (kind, path) in [("auth.json", "\(base)/agent/auth.json"), ("auth-profiles.json", "\(base)/agent/auth-profiles.json")]
            where FileManager.default.fileExists(atPath: path) {
                result.append(LegacySource(kind: kind, agentID: name, path: path))
            }
            let sessionsDirectory = "\(base)/sessions"
            let sessionsFile = "\(sessionsDirectory)/sessions.json"
            let transcripts = ((try? FileManager.default.contentsOfDirectory(atPath: sessionsDirectory)) ?? []).filter { $0.hasSuffix(".jsonl") }
            if FileManager.default.fileExists(atPath: sessionsFile) || !transcripts.isEmpty {
                result.append(LegacySource(kind: "sessions", agentID: name, path: sessionsFile))
            }
        }
        return result
    }
}
