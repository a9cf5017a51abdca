import Foundation

/// One step of a run, as it happens: what a CLI prints, a gateway forwards to its clients as JSON
/// and a test asserts on.
///
/// Every event names its run, the run's parent (for a subagent's events) and its session, and
/// carries a sequence number that counts the run's events from 1. A run's events end with exactly
/// one terminal event: ``Payload-swift.enum/completed(text:usage:turns:toolCalls:)``,
/// ``Payload-swift.enum/failed(code:message:httpStatus:)`` or
/// ``Payload-swift.enum/aborted(reason:partialText:)``.
///
/// As JSON it is one flat object: `{"runId", "parentRunId"?, "sessionKey", "seq", "type", ...}`
/// with the payload's fields beside `type` (see docs/runtime.md).
public struct AgentRunEvent: Sendable, Equatable, Codable {
    /// What happened.
    public enum Payload: Sendable, Equatable {
        /// The run took its session's turn and started (the model chosen, the session id known).
        case started(sessionID: String, model: ModelReference)
        /// Text from the model: a streamed piece, or a whole answer when not streaming.
        case text(String)
        /// The model called a tool.
        case toolCall(ToolCall)
        /// A tool finished.
        case toolResult(ToolCall, ToolOutcome)
        /// A model turn ended.
        case turnCompleted(turn: Int, usage: TokenUsage)
        /// The provider rate-limited a credential (named by its label, never its secret); the
        /// next one is tried.
        case rateLimited(credential: String)
        /// The run ended with an answer. Terminal.
        case completed(text: String, usage: TokenUsage, turns: Int, toolCalls: Int)
        /// The run failed. Terminal.
        case failed(AgentRuntimeError)
        /// The run was aborted (Ctrl-C, an abort by run id, a host shutting down); the text
        /// streamed before it is kept. Terminal.
        case aborted(reason: String, partialText: String)
    }

    /// The run this event belongs to.
    public var runID: String
    /// The run that spawned this one (for a subagent's events), else `nil`.
    public var parentRunID: String?
    /// The run's session.
    public var sessionKey: SessionKey
    /// The event's position among its run's events, from 1.
    public var seq: Int
    /// What happened.
    public var payload: Payload

    /// Creates an event.
    public init(runID: String, parentRunID: String? = nil, sessionKey: SessionKey, seq: Int, payload: Payload) {
        self.runID = runID
        self.parentRunID = parentRunID
        self.sessionKey = sessionKey
        self.seq = seq
        self.payload = payload
    }

    /// Whether this event ends its run.
    public var isTerminal: Bool {
        switch payload {
        case .completed, .failed, .aborted: true
        default: false
        }
    }

    /// The payload's name in JSON: `started`, `text`, `tool_call`, `tool_result`, `turn_completed`,
    /// `rate_limited`, `completed`, `failed`, `aborted`.
    public var type: String {
        switch payload {
        case .started: "started"
        case .text: "text"
        case .toolCall: "tool_call"
        case .toolResult: "tool_result"
        case .turnCompleted: "turn_completed"
        case .rateLimited: "rate_limited"
        case .completed: "completed"
        case .failed: "failed"
        case .aborted: "aborted"
        }
    }
}
