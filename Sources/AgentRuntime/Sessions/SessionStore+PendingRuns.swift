import Foundation
import GRDB

extension SessionStore {
    /// A run accepted and not yet started: what a process killed before its turn came leaves
    /// behind, so its message is not lost.
    public struct PendingRun: Sendable, Equatable {
        /// The row's id (one per acceptance).
        public var pendingID: Int64
        public var runID: String
        public var sessionKey: SessionKey
        public var idempotencyKey: String?
        /// The user's message, with secret-shaped tokens redacted.
        public var message: String
        /// The process that accepted it.
        public var owner: RunOwner
        public var queuedAtMilliseconds: Int64
    }

    /// Records a run accepted for `key` before it is acknowledged; returns its row id, which the
    /// run's start deletes (``deletePending(_:in:)``) in the transaction that writes its message.
    func recordPending(runID: String, key: SessionKey, idempotencyKey: String?, message: String) async throws -> Int64 {
        let owner = RunOwner.current.json.jsonText
        let stored = Redaction.redact(message)
        return try await database.immediate { db in
            try db.execute(sql: """
                INSERT INTO pending_runs (run_id, session_key, idempotency_key, message, owner_json, queued_at_ms) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [runID, key.value, idempotencyKey, stored, owner, RuntimeClock.milliseconds()])
            return db.lastInsertedRowID
        }
    }

    /// Deletes a pending run's row in an open write transaction.
    func deletePending(_ pendingID: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM pending_runs WHERE pending_id = ?", arguments: [pendingID])
    }

    /// Deletes a pending run's row: the run ended without starting (aborted while it waited, or
    /// refused at its start).
    func deletePending(_ pendingID: Int64) async throws {
        try await database.immediate { db in try self.deletePending(pendingID, in: db) }
    }

    /// The runs accepted and not started, oldest first.
    public func pendingRuns() throws -> [PendingRun] {
        try database.reading { db in
            try Row.fetchAll(db, sql: """
                SELECT pending_id, run_id, session_key, idempotency_key, message, owner_json, queued_at_ms FROM pending_runs ORDER BY pending_id
                """).compactMap { row in
                guard let key = try? SessionKey(stored: row[2], agent: agent),
                      let owner = RunOwner(try? JSONValue.parse(row[5] as String)) else { return nil }
                return PendingRun(pendingID: row[0], runID: row[1], sessionKey: key, idempotencyKey: row[3], message: row[4],
                                  owner: owner, queuedAtMilliseconds: row[6])
            }
        }
    }

    /// Ends a pending run whose process is gone: its message goes into its session's transcript
    /// (the session started if it has none) followed by a `run_end` with status `interrupted`,
    /// and its row is deleted, in one transaction. A message already recorded under its
    /// idempotency key is not written twice. `secrets` are redacted from the message.
    func endPending(_ run: PendingRun, failure: AgentRuntimeError, secrets: [String]) throws {
        try database.immediate { db in
            let drafts: [TranscriptEventDraft] = [
                .userMessage(Redaction.redact(run.message, secrets: secrets), idempotencyKey: run.idempotencyKey),
                .runEnd(runID: run.runID, turns: 0, usage: TokenUsage(), toolCalls: 0, failure: failure),
            ]
            _ = try append(db, creatingSessionOf: run.sessionKey, drafts)
            try deletePending(run.pendingID, in: db)
        }
    }
}
