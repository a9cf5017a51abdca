import Foundation

/// One stored transcript event.
///
/// Every event is a JSON object with at least `type`, `id` and `timestamp`; message events carry
/// `parentId` and `message`. The first event of every session is the header
/// `{type: "session", version, id: <sessionId>, agentId, sessionKey, timestamp}`.
public struct TranscriptEvent: Sendable, Equatable {
    /// The position in the session, dense from 0.
    public var seq: Int64
    /// The event's id (the session id for the header).
    public var id: String
    /// `session`, `message`, `run_start`, `run_end` (or a type of the caller's)
    public var type: String
    /// The event this one follows in the conversation tree.
    public var parentID: String?
    /// When it was written.
    public var createdAtMilliseconds: Int64
    /// The whole event.
    public var json: JSONValue
}

/// An event to append: its type and fields; `id`, `parentId` and `timestamp` are filled in.
public struct TranscriptEventDraft: Sendable {
    /// How the new event's `parentId` is chosen.
    public enum Parent: Sendable, Equatable {
        /// The session's latest event in the conversation tree: the header or the last event that
        /// has a parent (the default).
        case tail
        /// A given event id.
        case event(String)
        /// No parent.
        case none
    }

    /// The event type.
    public var type: String
    /// The fields besides `type`, `id`, `parentId` and `timestamp`.
    public var fields: [String: JSONValue]
    /// A repeated append with the same key returns the first event instead of a new one.
    public var idempotencyKey: String?
    /// The parent rule.
    public var parent: Parent
    /// Token usage to add to the session's totals.
    public var usage: TokenUsage?

    /// Creates a draft.
    public init(type: String, fields: [String: JSONValue] = [:], idempotencyKey: String? = nil, parent: Parent = .tail, usage: TokenUsage? = nil) {
        self.type = type
        self.fields = fields
        self.idempotencyKey = idempotencyKey
        self.parent = parent
        self.usage = usage
    }
}

/// The result of an append.
public struct AppendedEvent: Sendable, Equatable {
    /// The event's position.
    public var seq: Int64
    /// The event's id.
    public var id: String
    /// `true` when the idempotency key matched an earlier event, which is returned instead.
    public var deduplicated: Bool
}

/// Where a transcript stands: enough for a reader to know whether it has everything.
public struct TranscriptFrontier: Sendable, Equatable, Codable {
    /// The session id.
    public var sessionID: String
    /// The last event's seq (-1 when empty).
    public var lastSeq: Int64
    /// The number of events (`lastSeq + 1`: seqs are dense).
    public var eventCount: Int64
    /// When the last event was written.
    public var updatedAtMilliseconds: Int64
    /// When the session started.
    public var createdAtMilliseconds: Int64
}

/// Input and output tokens.
public struct TokenUsage: Sendable, Equatable, Codable {
    /// Prompt tokens.
    public var inputTokens: Int
    /// Completion tokens.
    public var outputTokens: Int

    /// Creates a usage record.
    public init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// The sum of two usages.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens)
    }

    var json: JSONValue { ["input": .int(inputTokens), "output": .int(outputTokens)] }
}
