import Foundation

/// A tool call the model asked for.
public struct ToolCall: Sendable, Equatable {
    /// The provider's id for the call; the result refers to it.
    public var id: String
    /// The tool name.
    public var name: String
    /// The arguments as a JSON text (as the model wrote them; may be invalid).
    public var argumentsJSON: String

    /// Creates a call.
    public init(id: String, name: String, argumentsJSON: String) {
        self.id = id
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// A message of the conversation sent to a model.
public enum ChatMessage: Sendable, Equatable {
    /// The user's text.
    case user(String)
    /// The assistant's text and tool calls.
    case assistant(text: String, toolCalls: [ToolCall])
    /// The result of one tool call.
    case toolResult(callID: String, toolName: String, text: String, isError: Bool)
}

/// A tool offered to the model.
public struct ToolDefinition: Sendable, Equatable {
    /// The name.
    public var name: String
    /// What it does, for the model.
    public var description: String
    /// The JSON schema of its arguments.
    public var parameters: JSONValue
}

/// One request to a model.
public struct ModelRequest: Sendable {
    /// The model id.
    public var model: String
    /// The system prompt.
    public var system: String
    /// The conversation.
    public var messages: [ChatMessage]
    /// The tools offered.
    public var tools: [ToolDefinition]
    /// The completion budget.
    public var maxTokens: Int
    /// Whether to stream the answer.
    public var stream: Bool
}

/// A model's complete answer.
public struct ModelResponse: Sendable, Equatable {
    /// The text.
    public var text: String
    /// The tool calls.
    public var toolCalls: [ToolCall]
    /// The provider's stop reason (`stop`, `end_turn`, `tool_calls`, `tool_use`, `length`, ...).
    public var stopReason: String
    /// Tokens used.
    public var usage: TokenUsage
}
