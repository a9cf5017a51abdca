import Foundation

/// One tool (function) call a scripted reply asks the client to make.
///
/// The same value is rendered as an OpenAI `tool_calls` entry (`function.arguments` is
/// `argumentsJSON` verbatim) or as an Anthropic `tool_use` content block (`input` is
/// `argumentsJSON` when it is a JSON object, `{}` otherwise; streamed as `partial_json`).
public struct FakeToolCall: Sendable, Equatable {
    /// The tool call id sent to the client (`tool_calls[].id` / `tool_use.id`), verbatim.
    public var id: String
    /// The tool (function) name.
    public var name: String
    /// The arguments as a JSON text, sent verbatim (streamed in two halves).
    public var argumentsJSON: String

    /// Creates a tool call.
    /// - Parameters:
    ///   - id: The tool call id sent to the client, e.g. `"call_1"` or `"toolu_1"`.
    ///   - name: The tool name.
    ///   - argumentsJSON: The arguments as a JSON text, e.g. `#"{"path":"/a"}"#`.
    public init(id: String, name: String, argumentsJSON: String) {
        self.id = id
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// What the fake provider answers to one model request.
public enum FakeReply: Sendable, Equatable {
    /// Assistant text; stop reason `"stop"` (OpenAI) / `"end_turn"` (Anthropic).
    case text(String)
    /// Optional assistant text first, then the tool calls; stop reason `"tool_calls"` / `"tool_use"`.
    case toolCalls([FakeToolCall], text: String?)
    /// An HTTP error with the given status and the wire format's JSON error body
    /// (also for streaming requests: no event stream is started).
    case error(status: Int, type: String, message: String)
    /// Starts answering and never finishes.
    ///
    /// Streaming: sends the response head and the opening events with `text` as deltas, then
    /// sends nothing more until the client disconnects or the server stops (the connection is
    /// then closed without the terminating events). Non-streaming: never sends a response.
    case stall(text: String)
}

/// The wire format a request arrived in, chosen by its path.
public enum FakeWireFormat: String, Sendable {
    /// OpenAI Chat Completions: `POST /v1/chat/completions` or `POST /chat/completions`.
    case openAICompletions = "openai-completions"
    /// Anthropic Messages: `POST /v1/messages` or `POST /messages`.
    case anthropicMessages = "anthropic-messages"
}

/// A request the fake provider received on one of its model routes.
public struct FakeRecordedRequest: Sendable {
    /// The wire format, from the path.
    public var format: FakeWireFormat
    /// The request path, without the query string.
    public var path: String
    /// The request headers; names lowercased, repeated headers joined with `", "`.
    public var headers: [String: String]
    /// The raw request body.
    public var body: Data
    /// Whether the JSON body asked for a streamed (SSE) response (`"stream": true`).
    public var stream: Bool
    /// The API key, from `authorization: Bearer X` or `x-api-key: X`.
    public var apiKey: String?

    /// The body parsed with `JSONSerialization`; empty when it is not a JSON object.
    public var json: [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: body) else { return [:] }
        return object as? [String: Any] ?? [:]
    }
}

/// A rule answering every request that carries a given API key with an error,
/// without consuming a queued reply.
public enum FakeKeyRule: Sendable {
    /// HTTP 429 with the format's rate-limit error (`rate_limit_error`).
    case rateLimited
    /// HTTP 401 with the format's authentication error.
    case unauthorized
}

/// Errors the fake provider throws.
enum FakeProviderError: Error, Sendable {
    /// The server stopped before it was listening.
    case serverDidNotStart
    /// A stalled response was abandoned (client gone or server stopped).
    case stallEnded
}
