import Foundation
import GRDB
import Storage

/// A subagent run as recorded in the global `subagent_runs` table.
public struct SubagentRunRecord: Sendable, Equatable {
    public var runID: String
    public var agentID: String
    public var parentSessionKey: String
    public var childSessionKey: String
    public var childSessionID: String?
    public var namespace: String
    public var task: String
    public var status: String
    public var attachmentCount: Int
    public var attachmentBytes: Int
    public var error: String?
}

/// Writes and reads `subagent_runs` in the global database.
struct SubagentRunLog: Sendable {
    let database: StateDatabase

    /// Secrets never written to the table (task, label and error are redacted).
    var secrets: [String] = []

    func start(runID: String, agent: String, parentKey: SessionKey, parentSessionID: String, childKey: SessionKey,
               namespace: String, task: String, label: String?, attachments: [PreparedAttachment]) throws {
        let task = Redaction.redact(task, secrets: secrets)
        let label = label.map { Redaction.redact($0, secrets: secrets) }
        try database.immediate { db in
            try db.execute(sql: """
                INSERT INTO subagent_runs (run_id, agent_id, parent_session_key, parent_session_id, child_session_key, namespace, task, label,
                  status, attachment_count, attachment_bytes, started_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)
                """, arguments: [runID, agent, parentKey.value, parentSessionID, childKey.value, namespace, String(task.prefix(4000)), label,
                                 attachments.count, attachments.reduce(0) { $0 + $1.content.count }, RuntimeClock.milliseconds()])
        }
    }

    func finish(runID: String, childSessionID: String?, status: String, error: String?) throws {
        let error = error.map { Redaction.redact($0, secrets: secrets) }
        try database.immediate { db in
            try db.execute(sql: """
                UPDATE subagent_runs SET status = ?, child_session_id = COALESCE(?, child_session_id), error = ?, ended_at_ms = ? WHERE run_id = ?
                """, arguments: [status, childSessionID, error, RuntimeClock.milliseconds(), runID])
        }
    }

    func runs(agent: String) throws -> [SubagentRunRecord] {
        try database.reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM subagent_runs WHERE agent_id = ? ORDER BY started_at_ms, run_id", arguments: [agent]).map { row in
                SubagentRunRecord(runID: row["run_id"], agentID: row["agent_id"], parentSessionKey: row["parent_session_key"], childSessionKey: row["child_session_key"],
                                  childSessionID: row["child_session_id"], namespace: row["namespace"], task: row["task"], status: row["status"],
                                  attachmentCount: row["attachment_count"], attachmentBytes: row["attachment_bytes"], error: row["error"])
            }
        }
    }
}
