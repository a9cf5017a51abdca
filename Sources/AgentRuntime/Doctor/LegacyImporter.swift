import Crypto
import Foundation
import GRDB
import StateStore
import Storage

/// Imports legacy files into SQLite for `doctor --fix`.
///
/// Each source is imported in one transaction of the agent's database, verified by reading it
/// back, recorded in the global `migration_runs`/`migration_sources` (keyed by path, SHA-256 and
/// size, so a source is never imported twice), and only then removed. A source that fails stays
/// where it is, untouched.
struct LegacyImporter {
    let state: StateDirectory
    let global: StateDatabase

    init(state: StateDirectory) throws {
        self.state = state
        self.global = try state.openGlobal(components: [RuntimeSchema.global])
    }

    func importAll(_ sources: [LegacySource]) -> [LegacyImportResult] {
        let runID = RuntimeClock.uuid()
        try? global.immediate { db in
            try db.execute(sql: "INSERT INTO migration_runs (run_id, kind, status, started_at_ms) VALUES (?, 'doctor-legacy-import', 'running', ?)",
                           arguments: [runID, RuntimeClock.milliseconds()])
        }
        var results: [LegacyImportResult] = []
        for source in sources {
            do {
                results.append(try importOne(source, runID: runID))
            } catch {
                results.append(LegacyImportResult(source: source, status: "failed", items: 0, removedFiles: [], message: AgentRuntimeError.wrap(error).message))
            }
        }
        let failed = results.contains { $0.status == "failed" }
        let summary: JSONValue = ["imports": .array(results.map { result in
            ["path": .string(result.source.path), "kind": .string(result.source.kind), "status": .string(result.status), "items": .int(result.items)]
        })]
        try? global.immediate { db in
            try db.execute(sql: "UPDATE migration_runs SET status = ?, finished_at_ms = ?, summary_json = ? WHERE run_id = ?",
                           arguments: [failed ? "failed" : "succeeded", RuntimeClock.milliseconds(), summary.jsonText, runID])
        }
        return results
    }

    struct SourceFile {
        var path: String
        var data: Data
        var sha256: String
    }

    private func read(_ path: String) throws -> SourceFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw AgentRuntimeError(.notFound, "cannot read \(path)") }
        return SourceFile(path: path, data: data, sha256: SHA256.hex(data))
    }

    private func alreadyImported(_ file: SourceFile) throws -> Bool {
        try global.reading { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM migration_sources WHERE source_path = ? AND sha256 = ? AND size_bytes = ?",
                              arguments: [file.path, file.sha256, file.data.count]) != nil
        }
    }

    private func record(_ files: [SourceFile], kind: String, agent: String, runID: String, items: Int) throws {
        try global.immediate { db in
            for file in files {
                try db.execute(sql: """
                    INSERT INTO migration_sources (source_path, sha256, size_bytes, kind, agent_id, run_id, imported_at_ms, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(source_path, sha256, size_bytes) DO NOTHING
                    """, arguments: [file.path, file.sha256, file.data.count, kind, agent, runID, RuntimeClock.milliseconds(), items])
            }
        }
    }

    private func remove(_ files: [SourceFile]) throws -> [String] {
        var removed: [String] = []
        for file in files {
            try FileManager.default.removeItem(atPath: file.path)
            removed.append(file.path)
        }
        try global.immediate { db in
            for file in files {
                try db.execute(sql: "UPDATE migration_sources SET source_removed = 1 WHERE source_path = ? AND sha256 = ?", arguments: [file.path, file.sha256])
            }
        }
        return removed
    }

    private func importOne(_ source: LegacySource, runID: String) throws -> LegacyImportResult {
        let agent = try AgentID(source.agentID)
        let runtime = try AgentRuntime.open(state: state, agent: agent, environment: RuntimeEnvironment(variables: [:]))
        switch source.kind {
        case "auth.json", "auth-profiles.json":
            let file = try read(source.path)
            if try alreadyImported(file) {
                return LegacyImportResult(source: source, status: "already_imported", items: 0, removedFiles: try remove([file]), message: nil)
            }
            let legacy = try source.kind == "auth.json" ? Self.flatProfiles(file.data, path: file.path) : Self.canonicalProfiles(file.data, path: file.path)
            // A profile stored since (a pasted token) wins over the legacy file's.
            let existing = Dictionary(uniqueKeysWithValues: try runtime.authProfiles.profiles().map { ($0.id, $0) })
            let profiles = legacy.filter { existing[$0.id] == nil }
            let kept = legacy.filter { existing[$0.id] != nil && existing[$0.id] != $0 }.map(\.id)
            try runtime.agentDatabase.immediate { db in try runtime.authProfiles.merge(db, profiles) }
            let stored = try runtime.authProfiles.profiles()
            for profile in profiles where !stored.contains(profile) {
                throw AgentRuntimeError(.storage, "verification failed: profile \(profile.id) was not stored as imported")
            }
            try record([file], kind: source.kind, agent: agent.value, runID: runID, items: profiles.count)
            return LegacyImportResult(source: source, status: "imported", items: profiles.count, removedFiles: try remove([file]),
                                      message: kept.isEmpty ? nil : "kept the stored profile(s) \(kept.joined(separator: ", ")) over the legacy file's")
        default:
            return try importSessions(source, runtime: runtime, runID: runID)
        }
    }

    /// `{ "<provider>": { "apiKey": "..." } }` (also `key`, or `token` with `expires`).
    static func flatProfiles(_ data: Data, path: String) throws -> [AuthProfile] {
        guard let object = (try? JSONValue.parse(data))?.objectValue else { throw AgentRuntimeError(.invalidArgument, "\(path) is not a JSON object") }
        if object["profiles"] != nil { return try canonicalProfiles(data, path: path) }
        return try object.keys.sorted().map { provider in
            let entry = object[provider] ?? .null
            if let key = entry["apiKey"]?.stringValue ?? entry["key"]?.stringValue ?? entry.stringValue {
                return try AuthProfile(id: "\(provider):default", provider: provider, credential: .apiKey(key: key, keyRef: nil))
            }
            if let token = entry["token"]?.stringValue {
                return try AuthProfile(id: "\(provider):default", provider: provider,
                                       credential: .token(token: token, tokenRef: nil, expiresAtMilliseconds: entry["expires"]?.intValue.map(Int64.init)))
            }
            throw AgentRuntimeError(.invalidArgument, "\(path): provider '\(provider)' has no apiKey")
        }
    }

    static func canonicalProfiles(_ data: Data, path: String) throws -> [AuthProfile] {
        guard let document = try? JSONValue.parse(data), let profiles = document["profiles"]?.objectValue else {
            throw AgentRuntimeError(.invalidArgument, "\(path) is not a {version, profiles} document")
        }
        return try profiles.keys.sorted().map { try AuthProfile.parse(id: $0, profiles[$0] ?? .null) }
    }

    private func importSessions(_ source: LegacySource, runtime: AgentRuntime, runID: String) throws -> LegacyImportResult {
        let directory = (source.path as NSString).deletingLastPathComponent
        var files: [SourceFile] = []
        var index: [String: JSONValue] = [:]
        if FileManager.default.fileExists(atPath: source.path) {
            let file = try read(source.path)
            guard let object = (try? JSONValue.parse(file.data))?.objectValue else {
                throw AgentRuntimeError(.invalidArgument, "\(source.path) is not a JSON object of session keys")
            }
            index = object
            files.append(file)
        }
        // Every transcript: those sessions.json names and any others, so that nothing is lost.
        let transcriptNames = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        var transcripts: [String: SourceFile] = [:]
        for name in transcriptNames {
            let file = try read("\(directory)/\(name)")
            transcripts[String(name.dropLast(".jsonl".count))] = file
            files.append(file)
        }
        var plan: [(key: SessionKey, sessionID: String, updatedAt: Int64?, events: [[String: JSONValue]])] = []
        var claimed: Set<String> = []
        for rawKey in index.keys.sorted() {
            let entry = index[rawKey] ?? .null
            guard let sessionID = entry["sessionId"]?.stringValue, !sessionID.isEmpty else {
                throw AgentRuntimeError(.invalidArgument, "\(source.path): session \(rawKey.debugDescription) has no sessionId")
            }
            let key = try SessionKey(rawKey, defaultAgent: runtime.agent)
            guard key.agent == runtime.agent else {
                throw AgentRuntimeError(.invalidArgument, "\(source.path): session \(rawKey) belongs to agent '\(key.agent)'")
            }
            claimed.insert(sessionID)
            let events = try transcripts[sessionID].map { try Self.events($0) } ?? []
            plan.append((key, sessionID, entry["updatedAt"]?.intValue.map(Int64.init), events))
        }
        for (sessionID, file) in transcripts.sorted(by: { $0.key < $1.key }) where !claimed.contains(sessionID) {
            let key = try SessionKey("agent:\(runtime.agent.value):legacy:\(sessionID)")
            plan.append((key, sessionID, nil, try Self.events(file)))
        }
        let pending = try files.filter { try !alreadyImported($0) }
        if pending.isEmpty {
            return LegacyImportResult(source: source, status: "already_imported", items: 0, removedFiles: try remove(files), message: nil)
        }
        let sessions = runtime.sessions
        var eventCount = 0
        var notes: [String] = []
        let inserted: [(sessionID: String, events: Int)] = try runtime.agentDatabase.immediate { db in
            var inserted: [(String, Int)] = []
            for item in plan {
                if try sessions.hasSession(db, id: item.sessionID) {
                    // Imported before (or the same id in use): every event of the file must be
                    // there, or the file is kept rather than removed with events never imported.
                    let stored = Set(try String.fetchAll(db, sql: "SELECT event_id FROM transcript_events WHERE session_id = ?", arguments: [item.sessionID]))
                    let missing = item.events.filter { event in event["id"]?.stringValue.map { !stored.contains($0) } ?? true }
                    guard missing.isEmpty else {
                        throw AgentRuntimeError(.invalidArgument, "session \(item.sessionID) exists already without \(missing.count) event(s) of \(source.path)'s transcript; nothing was imported and the files are kept")
                    }
                    continue
                }
                let now = RuntimeClock.milliseconds()
                let current = try sessions.importWindow(db, key: item.key, sessionID: item.sessionID)
                for event in item.events { try sessions.appendImported(db, item.sessionID, event: event, now: now) }
                if current, let updated = item.updatedAt { try sessions.setUpdatedAt(db, item.key, milliseconds: updated) }
                if !current { notes.append("\(item.key) was in use: \(item.sessionID) is kept as an earlier session of it") }
                inserted.append((item.sessionID, item.events.count))
                eventCount += item.events.count
            }
            return inserted
        }
        let imported = inserted.count
        // Verify: every session inserted now holds exactly its header and its transcript's events.
        for item in inserted {
            let frontier = try sessions.frontier(item.sessionID)
            guard frontier.eventCount == Int64(item.events + 1) else {
                throw AgentRuntimeError(.storage, "verification failed: session \(item.sessionID) has \(frontier.eventCount) events, expected \(item.events + 1)")
            }
        }
        try record(files, kind: "sessions", agent: runtime.agent.value, runID: runID, items: imported)
        return LegacyImportResult(source: source, status: "imported", items: imported, removedFiles: try remove(files),
                                  message: (["\(imported) session(s), \(eventCount) event(s)"] + notes).joined(separator: "; "))
    }

    /// The events of a JSONL transcript, without its header line.
    static func events(_ file: SourceFile) throws -> [[String: JSONValue]] {
        guard let text = String(data: file.data, encoding: .utf8) else { throw AgentRuntimeError(.invalidArgument, "\(file.path) is not UTF-8") }
        var events: [[String: JSONValue]] = []
        for (number, line) in TextLines.split(text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONValue.parse(trimmed))?.objectValue else {
                throw AgentRuntimeError(.invalidArgument, "\(file.path):\(number + 1) is not a JSON object")
            }
            if object["type"]?.stringValue == "session" { continue }
            events.append(object)
        }
        return events
    }
}
