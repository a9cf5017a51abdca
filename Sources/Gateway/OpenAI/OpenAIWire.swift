import AgentRuntime
import Foundation
import StateStore

/// The JSON shapes of the OpenAI-compatible answers: a completion, the chunks of a streamed one,
/// and the model list.
enum OpenAIWire {
    /// `usage` from a run's tokens.
    static func usage(_ usage: TokenUsage) -> JSONValue {
        ["prompt_tokens": .int(usage.inputTokens), "completion_tokens": .int(usage.outputTokens),
         "total_tokens": .int(usage.inputTokens + usage.outputTokens)]
    }

    /// A whole `chat.completion`.
    static func completion(id: String, model: String, created: Int, text: String, usage: TokenUsage) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion", "created": .int(created), "model": .string(model),
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": "stop"]],
            "usage": Self.usage(usage),
        ]
    }

    /// A `chat.completion.chunk` with one choice.
    static func chunk(id: String, model: String, created: Int, delta: JSONValue, finishReason: String?) -> JSONValue {
        ["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
         "choices": [["index": 0, "delta": delta, "finish_reason": .optional(finishReason)]]]
    }

    /// The last chunk of a stream that asked for `stream_options.include_usage`: no choices, the usage.
    static func usageChunk(id: String, model: String, created: Int, usage: TokenUsage) -> JSONValue {
        ["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
         "choices": [], "usage": Self.usage(usage)]
    }

    /// One server-sent event: `data: <json>` and a blank line.
    static func event(_ value: JSONValue) -> String { "data: \(value.jsonText)\n\n" }

    /// The stream's end.
    static let done = "data: [DONE]\n\n"

    /// The model ids of `agents`: `openclaw` (the default agent), then `openclaw/<id>` for each.
    static func modelIDs(_ agents: [AgentID]) -> [String] {
        ["openclaw"] + agents.map { "openclaw/\($0.value)" }
    }

    /// One model object.
    static func model(_ id: String, created: Int) -> JSONValue {
        ["id": .string(id), "object": "model", "created": .int(created), "owned_by": "openclaw"]
    }

    /// `{object:"list", data:[model]}`.
    static func modelList(_ ids: [String], created: Int) -> JSONValue {
        ["object": "list", "data": .array(ids.map { model($0, created: created) })]
    }
}
