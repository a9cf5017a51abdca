import Foundation
import GRDB
import StateStore
import Storage

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
    /// migrated or registered.
    public func inspect() -> DoctorReport {
        var report = DoctorReport()
        report.databases = databases(&report)
        report.legacy = legacySources()
        for source in report.legacy {
            report.problems.append("legacy \(source.kind) file \(source.path) is not imported; run `openclaw doctor --fix`")
        }
        return report
    }

    /// Imports every legacy file (each in one transaction, verified, recorded in
    /// `migration_runs`/`migration_sources`, the source removed only afterwards), then inspects.
    public func fix() -> DoctorReport {
        var imports: [LegacyImportResult] = []
        let sources = legacySources()
        if !sources.isEmpty {
            do {
                let importer = try LegacyImporter(state: state)
                imports = importer.importAll(sources)
            } catch {
                var report = inspect()
                report.problems.append("cannot start the import: \(AgentRuntimeError.wrap(error).message)")
                return report
            }
        }
        var report = inspect()
        report.imports = imports
        report.problems.removeAll { $0.hasPrefix("legacy ") }
        for source in report.legacy {
            report.problems.append("legacy \(source.kind) file \(source.path) could not be imported; it is left in place")
        }
        return report
    }

    private func databases(_ report: inout DoctorReport) -> [DatabaseHealth] {
        var result: [DatabaseHealth] = []
        if FileManager.default.fileExists(atPath: state.globalDatabasePath) {
            result.append(health(role: "global", agent: nil, path: state.globalDatabasePath) { try state.openForInspection(nil) })
        } else {
            report.notes.append("no global database at \(state.globalDatabasePath) yet (it is created on first use)")
        }
        var seen: Set<String> = []
        let registered = registeredAgents()
        for (agent, path) in registered where !FileManager.default.fileExists(atPath: path) {
            report.problems.append("agent '\(agent)' is registered with \(path), which does not exist")
        }
        for (agent, path) in state.agentDatabasesOnDisk() where seen.insert(path).inserted {
            result.append(health(role: "agent", agent: agent.value, path: path) { try state.openForInspection(agent) })
        }
        return result
    }

    /// The registered agents, read through a read-only open of the global database.
    private func registeredAgents() -> [(agent: String, path: String)] {
        guard let global = try? state.openForInspection(nil) else { return [] }
        defer { try? global.close() }
        let rows = (try? global.writer.read { db in try Row.fetchAll(db, sql: "SELECT agent_id, path FROM agent_databases ORDER BY agent_id, path") }) ?? []
        return rows.map { ($0["agent_id"], $0["path"]) }
    }

    private func health(role: String, agent: String?, path: String, open: () throws -> StateDatabase) -> DatabaseHealth {
        var health = DatabaseHealth(role: role, agentID: agent, path: path, envelopeVersion: 0, components: [:], integrity: [], sizeBytes: 0, walBytes: 0,
                                    journal: "", problems: [])
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
            health.journal = "\(database.journal.rawValue) (\(database.journalReason))"
            if health.integrity != ["ok"] { health.problems.append("integrity check failed: \(health.integrity.prefix(5).joined(separator: "; "))") }
            if sizes.wal > Self.walWarningBytes {
                health.problems.append("the WAL is \(sizes.wal >> 20) MiB (over \(Self.walWarningBytes >> 20) MiB): a reader may be holding it open")
            }
        } catch {
            health.problems.append("cannot open: \(error)")
        }
        return health
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
