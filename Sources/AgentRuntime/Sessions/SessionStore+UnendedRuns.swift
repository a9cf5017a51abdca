import GRDB

extension SessionStore {
    /// A run whose `run_start` is the last run marker of its session's current transcript: in
    /// flight, or interrupted.
    public struct UnendedRun: Sendable {
        public var session: SessionSummary
        public var start: RunStartRecord
    }

    /// The current sessions whose last run has started and not ended. One backwards step on the
    /// transcript's primary key per session, most from its last event or two.
    public func unendedRuns() throws -> [UnendedRun] {
        let sessions = try list()
        return try database.reading { db in
            let statement = try db.cachedStatement(sql: """
                SELECT seq, event_id, event_type, parent_id, event_json, created_at_ms FROM transcript_events
                WHERE session_id = ? AND event_type IN ('run_start', 'run_end') ORDER BY seq DESC LIMIT 1
                """)
            var unended: [UnendedRun] = []
            for session in sessions {
                guard let row = try Row.fetchOne(statement, arguments: [session.sessionID]),
                      case .runStart(let start) = Self.event(row).payload else { continue }
                unended.append(UnendedRun(session: session, start: start))
            }
            return unended
        }
    }
}
