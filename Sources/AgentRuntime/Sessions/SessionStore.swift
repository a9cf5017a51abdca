import Foundation
import GRDB
import StateStore
import Storage

/// A session as listed: its key, its current session id and that transcript's frontier.
public struct SessionSummary: Sendable, Equatable {
    /// The routing key.
    public var key: SessionKey
    /// The current session id (transcript identity is {agentId, sessionId}).
    public var sessionID: String
    /// When the key was first used.
    public var createdAtMilliseconds: Int64
    /// When anything was last appended under the key.
    public var updatedAtMilliseconds: Int64
    /// The model last used, `provider/model`.
    public var model: String?
    /// The current transcript's frontier.
    public var frontier: TranscriptFrontier
    /// Token totals of the current session id.
    public var usage: TokenUsage
    /// A name for the session, set by `sessions.patch`.
    public var label: String?
    /// The model the session's runs use unless a run names one (set by `sessions.patch`; the
    /// agent's default model otherwise).
    public var modelOverride: String?
}

/// One generation of a session key: a session id and why it started.
public struct SessionWindow: Sendable, Equatable {
    /// The session id.
    public var sessionID: String
    /// The session id it replaced.
    public var previousSessionID: String?
    /// `initial`, `reset` or `import`.
    public var reason: String
    /// Free text given with a reset.
    public var note: String?
    /// When it started and (for replaced windows) ended.
    public var createdAtMilliseconds: Int64
    public var endedAtMilliseconds: Int64?
    /// Its frontier.
    public var frontier: TranscriptFrontier
}

/// Sessions and transcripts in one agent's database.
///
/// Transcripts are addressed by session id; session keys route to the current id. Every append
/// is one `BEGIN IMMEDIATE` transaction that assigns the next `seq`, so a reader always sees a
/// prefix of the transcript and a run killed mid-way leaves every event it wrote.
public final class SessionStore: Sendable {
    /// The agent database.
    public let database: StateDatabase
    /// The agent the database belongs to.
    public let agent: AgentID

    /// - parameter database: an agent database opened with ``RuntimeSchema/agent``.
    public init(database: StateDatabase, agent: AgentID) {
        self.database = database
        self.agent = agent
    }

    private func checkAgent(_ key: SessionKey) throws {
        guard key.agent == agent else {
            throw AgentRuntimeError(.invalidArgument, "session key \(key) belongs to agent '\(key.agent)', not '\(agent)'")
        }
    }

    // MARK: Sessions

    /// The session under `key`, or `nil`.
    public func session(_ key: SessionKey) throws -> SessionSummary? {
        try checkAgent(key)
        return try database.reading { db in try session(db, key) }
    }

    /// The session under `key`, read in an open transaction.
    func session(_ db: Database, _ key: SessionKey) throws -> SessionSummary? {
        try db.firstRow(Self.summaryByKey, .text(key.value)) { row in try summary(row) }
    }

    /// The session under `key`, created (with its header event) if missing.
    public func openSession(_ key: SessionKey) throws -> SessionSummary {
        if let existing = try session(key) { return existing }
        _ = try database.immediate { db in try currentSessionID(db, startingIfNone: key) }
        guard let created = try session(key) else { throw AgentRuntimeError(.storage, "session \(key) vanished after creation") }
        return created
    }

    /// Starts a new session id for `key`, keeping the old transcript. Returns the old id.
    @discardableResult
    public func reset(_ key: SessionKey, note: String? = nil) throws -> (previousSessionID: String, session: SessionSummary) {
        try checkAgent(key)
        let previous: String = try database.immediate { db in
            guard let current = try String.fetchOne(db, sql: "SELECT current_session_id FROM session_nodes WHERE session_key = ?", arguments: [key.value]) else {
                throw AgentRuntimeError(.notFound, "no session \(key)")
            }
            try db.execute(sql: "UPDATE session_windows SET ended_at_ms = ? WHERE session_id = ?", arguments: [RuntimeClock.milliseconds(), current])
            try startWindow(db, key: key, previous: current, reason: "reset", note: note)
            return current
        }
        guard let session = try session(key) else { throw AgentRuntimeError(.storage, "session \(key) vanished after reset") }
        return (previous, session)
    }

    /// Deletes `key` with every session id it had and their transcripts. Returns the number of
    /// events deleted.
    @discardableResult
    public func delete(_ key: SessionKey) throws -> Int {
        try checkAgent(key)
        return try database.immediate { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM session_nodes WHERE session_key = ?", arguments: [key.value]) != nil else {
                throw AgentRuntimeError(.notFound, "no session \(key)")
            }
            let ids = try String.fetchAll(db, sql: "SELECT session_id FROM session_windows WHERE session_key = ?", arguments: [key.value])
            var deleted = 0
            for id in ids {
                try db.execute(sql: "DELETE FROM transcript_events WHERE session_id = ?", arguments: [id])
                deleted += db.changesCount
            }
            try db.execute(sql: "DELETE FROM session_windows WHERE session_key = ?", arguments: [key.value])
            try db.execute(sql: "DELETE FROM session_nodes WHERE session_key = ?", arguments: [key.value])
            return deleted
        }
    }

    /// Sessions, most recently updated first.
    public func list(limit: Int? = nil) throws -> [SessionSummary] {
        try database.reading { db in
            // Read in place by column position: no Row copied per session, no column name looked up.
            var summaries: [SessionSummary] = []
            try db.forEachRow(Self.summariesByUpdate, .integer(Int64(limit ?? -1))) { row in summaries.append(try summary(row)) }
            return summaries
        }
    }

    /// Every session id `key` has had, oldest first.
    public func windows(_ key: SessionKey) throws -> [SessionWindow] {
        try checkAgent(key)
        return try database.reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session_windows WHERE session_key = ? ORDER BY created_at_ms, rowid", arguments: [key.value]).map { row in
                SessionWindow(sessionID: row["session_id"], previousSessionID: row["previous_session_id"], reason: row["reason"], note: row["reason_note"],
                              createdAtMilliseconds: row["created_at_ms"], endedAtMilliseconds: row["ended_at_ms"], frontier: Self.frontier(row))
            }
        }
    }

    // MARK: Transcripts

    /// Appends one event to session `sessionID` in its own transaction.
    @discardableResult
    public func append(_ sessionID: String, _ draft: TranscriptEventDraft) throws -> AppendedEvent {
        try database.immediate { db in try append(db, sessionID, draft) }
    }

    /// Appends one event to session `sessionID` in its own transaction, suspending the caller
    /// meanwhile (GRDB's async write: no thread waits for the writer).
    @discardableResult
    public func append(_ sessionID: String, _ draft: TranscriptEventDraft) async throws -> AppendedEvent {
        try await database.immediate { db in try self.append(db, sessionID, draft) }
    }

    /// Appends `drafts` in order in one transaction, suspending the caller meanwhile. Stops at
    /// the first draft already written under its idempotency key (the drafts after it are not
    /// written, and neither is the model); otherwise records `model`, when given, as the model of
    /// the session's key. Returns the events written, the deduplicated one last.
    @discardableResult
    func append(_ sessionID: String, _ drafts: [TranscriptEventDraft], model: String? = nil) async throws -> [AppendedEvent] {
        try await database.immediate { db in try self.append(db, sessionID, drafts, model: model) }
    }

    /// Appends `drafts` as ``append(_:_:model:)`` does, to the current session of `key`, which
    /// is started first (with its header event) when the key has none, in an open write
    /// transaction: a run's first commit creates its session, so a run that never writes leaves
    /// no empty session behind. Returns the session id written to and the events written.
    func append(_ db: Database, creatingSessionOf key: SessionKey, _ drafts: [TranscriptEventDraft], model: String? = nil) throws
        -> (sessionID: String, events: [AppendedEvent]) {
        try checkAgent(key)
        let sessionID = try currentSessionID(db, startingIfNone: key)
        return (sessionID, try append(db, sessionID, drafts, model: model))
    }

    /// The current session id of `key`, its first window started (with its header event) when
    /// it has none; in an open write transaction.
    private func currentSessionID(_ db: Database, startingIfNone key: SessionKey) throws -> String {
        if let current = try String.fetchOne(db.cachedStatement(sql: "SELECT current_session_id FROM session_nodes WHERE session_key = ?"),
                                             arguments: [key.value]) {
            return current
        }
        let sessionID = RuntimeClock.uuid()
        try startWindow(db, key: key, previous: nil, reason: "initial", note: nil, sessionID: sessionID)
        return sessionID
    }

    /// The event of `sessionID` written with `idempotencyKey`, if any.
    public func event(_ sessionID: String, idempotencyKey: String) throws -> TranscriptEvent? {
        try database.reading { db in
            try db.firstRow(Self.eventByIdempotencyKey, .text(sessionID), .text(idempotencyKey)) { Self.event($0) }
        }
    }

    /// Appends in an open transaction (used by importers, which write many events at once).
    func append(_ db: Database, _ sessionID: String, _ draft: TranscriptEventDraft, now: Int64 = RuntimeClock.milliseconds()) throws -> AppendedEvent {
        guard let appended = try append(db, sessionID, [draft], model: nil, now: now).first else {
            throw AgentRuntimeError(.storage, "no event appended to session id \(sessionID)")
        }
        return appended
    }

    /// Appends `drafts` in order in an open transaction, reading the window once and moving its
    /// frontier once: the events of one moment cost one statement each. Stops after a draft
    /// already written under its idempotency key. With `model`, records it as the key's model.
    func append(_ db: Database, _ sessionID: String, _ drafts: [TranscriptEventDraft], model: String?,
                now: Int64 = RuntimeClock.milliseconds()) throws -> [AppendedEvent] {
        let window = try db.firstRow(Self.windowForAppend, .text(sessionID)) { row in (key: row.text(0), lastSeq: row.int64(1), tail: row.optionalText(2)) }
        guard let window else { throw AgentRuntimeError(.notFound, "no session id \(sessionID)") }
        let sessionKey = window.key
        var lastSeq = window.lastSeq
        var tail = window.tail
        var usage = TokenUsage()
        var appended: [AppendedEvent] = []
        let timestamp = JSONValue.string(RuntimeClock.iso8601(milliseconds: now))
        for draft in drafts {
            if let key = draft.idempotencyKey,
               let existing = try db.firstRow(Self.eventByIdempotencyKey, .text(sessionID), .text(key), body: { row in (seq: row.int64(0), id: row.text(1)) }) {
                appended.append(AppendedEvent(seq: existing.seq, id: existing.id, deduplicated: true))
                break
            }
            let seq = lastSeq + 1
            let id = draft.type == "session" ? sessionID : RuntimeClock.uuid()
            let parent: String? = switch draft.parent {
            case .tail: tail
            case .event(let id): id
            case .none: nil
            }
            var event = draft.fields
            event["type"] = .string(draft.type)
            event["id"] = .string(id)
            event["timestamp"] = timestamp
            if let parent, draft.type != "session" { event["parentId"] = .string(parent) }
            if let key = draft.idempotencyKey { event["idempotencyKey"] = .string(key) }
            try db.cachedStatement(sql: """
                INSERT INTO transcript_events (session_id, seq, event_id, event_type, parent_id, idempotency_key, event_json, created_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sessionID, seq, id, draft.type, draft.type == "session" ? nil : parent, draft.idempotencyKey,
                                          JSONValue.object(event).jsonText, now])
            // Only events in the conversation tree (the header and events with a parent) become
            // the tail, so run markers written without a parent never break the chain.
            if draft.type == "session" || parent != nil { tail = id }
            lastSeq = seq
            usage = usage + (draft.usage ?? TokenUsage())
            appended.append(AppendedEvent(seq: seq, id: id, deduplicated: false))
        }
        guard appended.contains(where: { !$0.deduplicated }) else { return appended }
        try db.cachedStatement(sql: """
            UPDATE session_windows SET last_seq = ?, tail_event_id = ?, updated_at_ms = ?,
              input_tokens = input_tokens + ?, output_tokens = output_tokens + ?
            WHERE session_id = ?
            """).execute(arguments: [lastSeq, tail, now, usage.inputTokens, usage.outputTokens, sessionID])
        if let model, appended.last?.deduplicated != true {
            try db.cachedStatement(sql: """
                UPDATE session_nodes SET model = ?, updated_at_ms = CASE WHEN current_session_id = ? THEN ? ELSE updated_at_ms END
                WHERE session_key = ?
                """).execute(arguments: [model, sessionID, now, sessionKey])
        } else {
            try db.cachedStatement(sql: "UPDATE session_nodes SET updated_at_ms = ? WHERE session_key = ? AND current_session_id = ?")
                .execute(arguments: [now, sessionKey, sessionID])
        }
        return appended
    }

    /// Events of `sessionID` with `seq > after`, in order, at most `limit`; only those of the
    /// given `types` when set.
    public func events(_ sessionID: String, after: Int64 = -1, limit: Int? = nil, types: Set<String>? = nil) throws -> [TranscriptEvent] {
        try database.reading { db in try events(db, sessionID, after: after, limit: limit, types: types) }
    }

    /// ``events(_:after:limit:types:)`` in an open transaction.
    func events(_ db: Database, _ sessionID: String, after: Int64 = -1, limit: Int? = nil, types: Set<String>? = nil) throws -> [TranscriptEvent] {
        guard try db.firstRow(Self.windowExists, .text(sessionID), body: { _ in true }) != nil else {
            throw AgentRuntimeError(.notFound, "no session id \(sessionID)")
        }
        // All events, or those of one type (a run's history: its messages), read in place.
        if types == nil || types?.count == 1 {
            var events: [TranscriptEvent] = []
            let limit = RawArgument.integer(Int64(limit ?? -1))
            if let type = types?.first {
                try db.forEachRow(Self.eventsOfType, .text(sessionID), .integer(after), .text(type), limit) { events.append(Self.event($0)) }
            } else {
                try db.forEachRow(Self.eventsAfter, .text(sessionID), .integer(after), limit) { events.append(Self.event($0)) }
            }
            return events
        }
        var sql = Self.eventColumns + " WHERE session_id = ? AND seq > ?"
        var arguments: StatementArguments = [sessionID, after]
        if let types {
            sql += " AND event_type IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))"
            for type in types.sorted() { _ = arguments.append(contentsOf: [type]) }
        }
        sql += " ORDER BY seq LIMIT ?"
        _ = arguments.append(contentsOf: [limit ?? -1])
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            Self.event(seq: row[0], id: row[1], type: row[2], parentID: row[3], json: row[4], createdAt: row[5])
        }
    }

    /// Where the transcript of `sessionID` stands.
    public func frontier(_ sessionID: String) throws -> TranscriptFrontier {
        try database.reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM session_windows WHERE session_id = ?", arguments: [sessionID]) else {
                throw AgentRuntimeError(.notFound, "no session id \(sessionID)")
            }
            return Self.frontier(row)
        }
    }

    // MARK: Rows

    private func startWindow(_ db: Database, key: SessionKey, previous: String?, reason: String, note: String?, sessionID: String = RuntimeClock.uuid()) throws {
        let now = RuntimeClock.milliseconds()
        try db.execute(sql: """
            INSERT INTO session_windows (session_id, session_key, previous_session_id, reason, reason_note, created_at_ms, updated_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [sessionID, key.value, previous, reason, note, now, now])
        try db.execute(sql: """
            INSERT INTO session_nodes (session_key, current_session_id, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?)
            ON CONFLICT(session_key) DO UPDATE SET current_session_id = excluded.current_session_id, updated_at_ms = excluded.updated_at_ms
            """, arguments: [key.value, sessionID, now, now])
        let header = TranscriptHeader(agentId: agent.value, sessionKey: key.value, previousSessionId: previous, reason: reason == "initial" ? nil : reason)
        _ = try append(db, sessionID, TranscriptEventDraft(type: "session", fields: header.fields, parent: .none), now: now)
    }

    /// Creates a window with a given id (importers keep legacy session ids). It becomes the key's
    /// current session only when the key has none; under a key in use it is kept as an ended,
    /// earlier window. Returns whether it became current.
    @discardableResult
    func importWindow(_ db: Database, key: SessionKey, sessionID: String) throws -> Bool {
        if try String.fetchOne(db, sql: "SELECT current_session_id FROM session_nodes WHERE session_key = ?", arguments: [key.value]) == nil {
            try startWindow(db, key: key, previous: nil, reason: "import", note: nil, sessionID: sessionID)
            return true
        }
        let now = RuntimeClock.milliseconds()
        try db.execute(sql: """
            INSERT INTO session_windows (session_id, session_key, reason, created_at_ms, ended_at_ms, updated_at_ms) VALUES (?, ?, 'import', ?, ?, ?)
            """, arguments: [sessionID, key.value, now, now, now])
        let header = TranscriptHeader(agentId: agent.value, sessionKey: key.value, reason: "import")
        _ = try append(db, sessionID, TranscriptEventDraft(type: "session", fields: header.fields, parent: .none), now: now)
        return false
    }

    /// Appends an imported event as it was written (its `id`, `parentId` and `timestamp` kept; a
    /// missing `id` or `timestamp` is filled in, a missing `parentId` stays missing), in an open
    /// transaction.
    func appendImported(_ db: Database, _ sessionID: String, event: [String: JSONValue], now: Int64) throws {
        guard let window = try Row.fetchOne(db, sql: "SELECT session_key, last_seq, tail_event_id FROM session_windows WHERE session_id = ?", arguments: [sessionID]) else {
            throw AgentRuntimeError(.notFound, "no session id \(sessionID)")
        }
        var event = event
        let seq: Int64 = (window["last_seq"] as Int64) + 1
        let type = event["type"]?.stringValue ?? "message"
        let id = event["id"]?.stringValue ?? RuntimeClock.uuid()
        event["type"] = .string(type)
        event["id"] = .string(id)
        if event["timestamp"] == nil { event["timestamp"] = .string(RuntimeClock.iso8601(milliseconds: now)) }
        var idempotencyKey = event["message"]?["idempotencyKey"]?.stringValue ?? event["idempotencyKey"]?.stringValue
        if let key = idempotencyKey,
           try Bool.fetchOne(db, sql: "SELECT 1 FROM transcript_events WHERE session_id = ? AND idempotency_key = ?", arguments: [sessionID, key]) != nil {
            idempotencyKey = nil
        }
        let usage = event["message"]?["usage"]
        try insert(db, sessionID, seq: seq, id: id, type: type, parent: event["parentId"]?.stringValue, idempotencyKey: idempotencyKey,
                   json: JSONValue.object(event).jsonText,
                   usage: TokenUsage(inputTokens: usage?["input"]?.intValue ?? 0, outputTokens: usage?["output"]?.intValue ?? 0),
                   threaded: event["parentId"] != nil || type == "message", now: now)
    }

    /// Writes one event row and moves its window's frontier (and, for a threaded event, its tail).
    private func insert(_ db: Database, _ sessionID: String, seq: Int64, id: String, type: String, parent: String?, idempotencyKey: String?,
                        json: String, usage: TokenUsage, threaded: Bool, now: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO transcript_events (session_id, seq, event_id, event_type, parent_id, idempotency_key, event_json, created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sessionID, seq, id, type, parent, idempotencyKey, json, now])
        try db.cachedStatement(sql: """
            UPDATE session_windows SET last_seq = ?, tail_event_id = CASE WHEN ? THEN ? ELSE tail_event_id END, updated_at_ms = ?,
              input_tokens = input_tokens + ?, output_tokens = output_tokens + ?
            WHERE session_id = ?
            """).execute(arguments: [seq, threaded, id, now, usage.inputTokens, usage.outputTokens, sessionID])
    }

    /// Whether a session id exists.
    func hasSession(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM session_windows WHERE session_id = ?", arguments: [id]) != nil
    }

    /// Sets a key's timestamps (importers keep the legacy `updatedAt`).
    func setUpdatedAt(_ db: Database, _ key: SessionKey, milliseconds: Int64) throws {
        try db.execute(sql: "UPDATE session_nodes SET updated_at_ms = ? WHERE session_key = ?", arguments: [milliseconds, key.value])
    }

    private static let summarySQL = """
        SELECT n.session_key, n.current_session_id, n.created_at_ms AS key_created_at_ms, n.updated_at_ms AS key_updated_at_ms, n.model,
               w.session_id, w.last_seq, w.updated_at_ms, w.created_at_ms, w.input_tokens, w.output_tokens, n.label, n.model_override
        FROM session_nodes n JOIN session_windows w ON w.session_id = n.current_session_id
        """

    private static let summaryByKey = LookupQuery(summarySQL + " WHERE n.session_key = ?")
    private static let summariesByUpdate = LookupQuery(summarySQL + " ORDER BY n.updated_at_ms DESC, n.session_key LIMIT ?")
    private static let windowExists = LookupQuery("SELECT 1 FROM session_windows WHERE session_id = ?")
    private static let eventColumns = "SELECT seq, event_id, event_type, parent_id, event_json, created_at_ms FROM transcript_events"
    private static let eventsAfter = LookupQuery(eventColumns + " WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?")
    static let lastRunBoundary = LookupQuery(eventColumns + " WHERE session_id = ? AND event_type IN ('run_start', 'run_end') ORDER BY seq DESC LIMIT 1")
    private static let windowForAppend = LookupQuery("SELECT session_key, last_seq, tail_event_id FROM session_windows WHERE session_id = ?")
    private static let eventByIdempotencyKey = LookupQuery(eventColumns + " WHERE session_id = ? AND idempotency_key = ?")
    private static let eventsOfType = LookupQuery(eventColumns + " WHERE session_id = ? AND seq > ? AND event_type = ? ORDER BY seq LIMIT ?")

    /// A row of ``eventColumns``, read in place by column position.
    static func event(_ row: RawRow) -> TranscriptEvent {
        event(seq: row.int64(0), id: row.text(1), type: row.text(2), parentID: row.optionalText(3), json: row.text(4), createdAt: row.int64(5))
    }

    /// The event of one row's ``eventColumns``, its JSON parsed (kept as a string when it does not parse).
    private static func event(seq: Int64, id: String, type: String, parentID: String?, json text: String, createdAt: Int64) -> TranscriptEvent {
        TranscriptEvent(seq: seq, id: id, type: type, parentID: parentID, createdAtMilliseconds: createdAt,
                        json: (try? JSONValue.parse(text)) ?? .string(text))
    }

    /// A row of ``summarySQL``, read by column position (its column order).
    private func summary(_ row: RawRow) throws -> SessionSummary {
        let last = row.int64(6)
        return SessionSummary(key: try SessionKey(stored: row.text(0), agent: agent), sessionID: row.text(1),
                              createdAtMilliseconds: row.int64(2), updatedAtMilliseconds: row.int64(3), model: row.optionalText(4),
                              frontier: TranscriptFrontier(sessionID: row.text(5), lastSeq: last, eventCount: last + 1,
                                                           updatedAtMilliseconds: row.int64(7), createdAtMilliseconds: row.int64(8)),
                              usage: TokenUsage(inputTokens: Int(row.int64(9)), outputTokens: Int(row.int64(10))),
                              label: row.optionalText(11), modelOverride: row.optionalText(12))
    }

    private static func frontier(_ row: Row) -> TranscriptFrontier {
        let last: Int64 = row["last_seq"]
        return TranscriptFrontier(sessionID: row["session_id"], lastSeq: last, eventCount: last + 1,
                                  updatedAtMilliseconds: row["updated_at_ms"], createdAtMilliseconds: row["created_at_ms"])
    }
}
