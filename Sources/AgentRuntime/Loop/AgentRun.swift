import Foundation

/// What to run: one user message in one session.
public struct AgentRunRequest: Sendable {
    /// The user's message.
    public var message: String
    /// The session (default: the agent's main session).
    public var sessionKey: SessionKey?
    /// The model (default: the agent's default model).
    public var model: ModelReference?
    /// The turn limit (default: the runtime's).
    public var maxTurns: Int?
    /// Whether to stream the model's answers.
    public var stream: Bool
    /// A key that makes a repeated request fail instead of running twice.
    public var idempotencyKey: String?

    /// Creates a request.
    public init(message: String, sessionKey: SessionKey? = nil, model: ModelReference? = nil, maxTurns: Int? = nil, stream: Bool = true, idempotencyKey: String? = nil) {
        self.message = message
        self.sessionKey = sessionKey
        self.model = model
        self.maxTurns = maxTurns
        self.stream = stream
        self.idempotencyKey = idempotencyKey
    }
}

/// Progress of a run, as it happens.
public enum AgentRunEvent: Sendable {
    /// The run started.
    case started(runID: String, sessionKey: SessionKey, sessionID: String, model: ModelReference)
    /// Text from the model (a streamed piece, or a whole answer when not streaming).
    case text(String)
    /// The model called a tool.
    case toolCall(ToolCall)
    /// A tool finished.
    case toolResult(ToolCall, ToolOutcome)
    /// A model turn ended.
    case turnCompleted(turn: Int, usage: TokenUsage)
    /// The provider rate-limited a credential (named by its label, never its secret); the next
    /// one is tried.
    case rateLimited(credential: String)
}

/// The outcome of a finished run.
public struct AgentRunResult: Sendable {
    /// The run's id (also in the transcript's `run_start` and `run_end` events).
    public var runID: String
    /// The session.
    public var sessionKey: SessionKey
    public var sessionID: String
    /// The model used.
    public var model: ModelReference
    /// The final answer.
    public var text: String
    /// Model turns taken.
    public var turns: Int
    /// Tokens used in all turns.
    public var usage: TokenUsage
    /// Tool calls made.
    public var toolCalls: Int
}
