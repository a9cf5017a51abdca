import Foundation

/// One session of `openclaw sessions list --json`: the key, its current session id, its
/// frontier and token totals, and the agent database holding it.
public struct SessionListing: Sendable, Equatable, Encodable {
    public var key: String
    public var agentId: String
    public var sessionId: String
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
    /// `provider/model` last used; `null` before the first run.
    @NullWhenAbsent public var model: String?
    public var lastSeq: Int64
    public var eventCount: Int64
    public var inputTokens: Int
    public var outputTokens: Int
    public var databasePath: String

    public init(_ summary: SessionSummary, databasePath: String) {
        key = summary.key.value
        agentId = summary.key.agent.value
        sessionId = summary.sessionID
        createdAtMs = summary.createdAtMilliseconds
        updatedAtMs = summary.updatedAtMilliseconds
        model = summary.model
        lastSeq = summary.frontier.lastSeq
        eventCount = summary.frontier.eventCount
        inputTokens = summary.usage.inputTokens
        outputTokens = summary.usage.outputTokens
        self.databasePath = databasePath
    }
}

/// `openclaw sessions list --json`: the sessions, newest first, and the agents skipped.
public struct SessionList: Sendable, Equatable, Encodable {
    /// An agent whose sessions could not be read (`--all-agents` goes on without it).
    public struct SkippedAgent: Sendable, Equatable, Encodable {
        public var agentId: String
        public var error: String

        public init(agentId: String, error: String) {
            self.agentId = agentId
            self.error = error
        }
    }

    public var sessions: [SessionListing]
    public var count: Int
    public var skipped: [SkippedAgent]

    public init(sessions: [SessionListing], skipped: [SkippedAgent]) {
        self.sessions = sessions
        self.count = sessions.count
        self.skipped = skipped
    }
}

/// A page of a transcript (`openclaw sessions show --json`): events after a cursor, and the
/// cursor to read on from.
public struct TranscriptPage: Sendable, Equatable, Encodable {
    /// Where the transcript stands, with the keys of the JSON contract.
    public struct Frontier: Sendable, Equatable, Encodable {
        public var sessionId: String
        public var lastSeq: Int64
        public var eventCount: Int64
        public var updatedAtMs: Int64
        public var createdAtMs: Int64

        public init(_ frontier: TranscriptFrontier) {
            sessionId = frontier.sessionID
            lastSeq = frontier.lastSeq
            eventCount = frontier.eventCount
            updatedAtMs = frontier.updatedAtMilliseconds
            createdAtMs = frontier.createdAtMilliseconds
        }
    }

    /// One stored event: its seq and its JSON as written.
    public struct Event: Sendable, Equatable, Encodable {
        public var seq: Int64
        public var event: JSONValue
    }

    public var sessionKey: String
    public var frontier: Frontier
    public var events: [Event]
    /// The `--after` that reads on from here: the last event's seq, or the cursor given.
    public var nextAfter: Int64

    public init(sessionKey: SessionKey, frontier: TranscriptFrontier, events: [TranscriptEvent], after: Int64) {
        self.sessionKey = sessionKey.value
        self.frontier = Frontier(frontier)
        self.events = events.map { Event(seq: $0.seq, event: $0.json) }
        self.nextAfter = events.last?.seq ?? after
    }
}
