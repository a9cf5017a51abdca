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
            var unended: [UnendedRun] = []
            for session in sessions {
                guard let event = try db.firstRow(Self.lastRunBoundary, .text(session.sessionID), body: { Self.event($0) }),
                      case .runStart(let start) = event.payload else { continue }
                unended.append(UnendedRun(session: session, start: start))
            }
            return unended
        }
    }
}
