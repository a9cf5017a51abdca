import Foundation
import Synchronization

/// Encoding requests and decoding answers of the two wire formats.
enum WireFormat {
    /// The endpoint URL for a provider.
    static func endpoint(_ provider: ModelProviderConfiguration) -> String {
        switch provider.api {
        case .openAICompletions: provider.baseURL + "/chat/completions"
        case .anthropicMessages: provider.baseURL.hasSuffix("/v1") ? provider.baseURL + "/messages" : provider.baseURL + "/v1/messages"
        }
    }

    /// The authentication and protocol headers.
    static func headers(_ provider: ModelProviderConfiguration, credential: Credential) -> [(String, String)] {
        var headers: [(String, String)] = [("content-type", "application/json")]
        switch (provider.api, credential.kind) {
        case (.anthropicMessages, .apiKey):
            headers.append(("x-api-key", credential.secret))
            headers.append(("anthropic-version", "2023-06-01"))
        case (.anthropicMessages, .bearerToken):
            headers.append(("authorization", "Bearer \(credential.secret)"))
            headers.append(("anthropic-version", "2023-06-01"))
        case (.openAICompletions, _):
            headers.append(("authorization", "Bearer \(credential.secret)"))
        }
        // The provider's own headers replace defaults of the same name.
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.0 == name.lowercased() }
            headers.append((name.lowercased(), value))
        }
        return headers
    }

    // MARK: Requests

    /// The request's body: the same bytes as ``body(_:api:)`` encoded, with the tool
    /// definitions (most of a first turn's bytes, the same in every run) encoded once per set.
    static func encode(_ request: ModelRequest, api: ModelAPI) -> Data {
        guard !request.tools.isEmpty else { return body(request, api: api).encoded() }
        var rest = request
        rest.tools = []
        var bytes = body(rest, api: api).encoded()
        // `tools` sorts after every other key of both bodies: it goes before the closing brace.
        bytes.removeLast()
        bytes.append(contentsOf: #","tools":"#.utf8)
        bytes.append(encodedTools(request.tools, api: api))
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The request's body as a JSON value.
    static func body(_ request: ModelRequest, api: ModelAPI) -> JSONValue {
        switch api {
        case .openAICompletions: openAIBody(request)
        case .anthropicMessages: anthropicBody(request)
        }
    }

    /// Tool sets already encoded, per wire format (a run offers one of two sets; a few entries).
    private static let toolCache = Mutex<[(api: ModelAPI, tools: [ToolDefinition], json: Data)]>([])

    private static func encodedTools(_ tools: [ToolDefinition], api: ModelAPI) -> Data {
        if let hit = toolCache.withLock({ cache in cache.first { $0.api == api && $0.tools == tools }?.json }) { return hit }
        let json = toolsJSON(tools, api: api).encoded()
        toolCache.withLock { cache in
            if cache.count >= 8 { cache.removeFirst() }
            cache.append((api, tools, json))
        }
        return json
    }

    private static func toolsJSON(_ tools: [ToolDefinition], api: ModelAPI) -> JSONValue {
        switch api {
        case .openAICompletions:
            .array(tools.map { tool in
                ["type": "function", "function": ["name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters]]
            })
        case .anthropicMessages:
            .array(tools.map { ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.parameters] })
        }
    }

    private static func openAIBody(_ request: ModelRequest) -> JSONValue {
        var messages: [JSONValue] = [["role": "system", "content": .string(request.system)]]
        for message in request.messages {
            switch message {
            case .user(let text):
                messages.append(["role": "user", "content": .string(text)])
            case .assistant(let text, let calls):
                var object: [String: JSONValue] = ["role": "assistant", "content": text.isEmpty && !calls.isEmpty ? .null : .string(text)]
                if !calls.isEmpty {
                    object["tool_calls"] = .array(calls.map { call in
                        ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.argumentsJSON)]]
                    })
                }
                messages.append(.object(object))
            case .toolResult(let callID, _, let text, _):
                messages.append(["role": "tool", "tool_call_id": .string(callID), "content": .string(text)])
            }
        }
        var body: [String: JSONValue] = ["model": .string(request.model), "messages": .array(messages), "max_tokens": .int(request.maxTokens)]
        if !request.tools.isEmpty { body["tools"] = toolsJSON(request.tools, api: .openAICompletions) }
        if request.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return .object(body)
    }

    private static func anthropicBody(_ request: ModelRequest) -> JSONValue {
        // Anthropic wants alternating roles: consecutive blocks of one role are merged.
        var messages: [(role: String, blocks: [JSONValue])] = []
        func add(_ role: String, _ block: JSONValue) {
            if let last = messages.indices.last, messages[last].role == role {
                messages[last].blocks.append(block)
            } else {
                messages.append((role, [block]))
            }
        }
        for message in request.messages {
            switch message {
            case .user(let text):
                add("user", ["type": "text", "text": .string(text)])
            case .assistant(let text, let calls):
                // Anthropic refuses empty text blocks; an empty answer adds nothing.
                if !text.isEmpty { add("assistant", ["type": "text", "text": .string(text)]) }
                for call in calls {
                    let input = (try? JSONValue.parse(call.argumentsJSON)).flatMap { $0.objectValue == nil ? nil : $0 } ?? [:]
                    add("assistant", ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
                }
            case .toolResult(let callID, _, let text, let isError):
                add("user", ["type": "tool_result", "tool_use_id": .string(callID), "content": .string(text), "is_error": .bool(isError)])
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(request.model), "system": .string(request.system), "max_tokens": .int(request.maxTokens),
            "messages": .array(messages.map { ["role": .string($0.role), "content": .array($0.blocks)] }),
        ]
        if !request.tools.isEmpty { body["tools"] = toolsJSON(request.tools, api: .anthropicMessages) }
        if request.stream { body["stream"] = true }
        return .object(body)
    }

    // MARK: Answers

    static func decode(_ data: Data, api: ModelAPI) throws -> ModelResponse {
        guard let body = try? JSONValue.parse(data) else {
            throw AgentRuntimeError(.provider, "the provider's answer is not JSON")
        }
        switch api {
        case .openAICompletions:
            guard let choice = body["choices"]?.arrayValue?.first, let message = choice["message"] else {
                throw AgentRuntimeError(.provider, "the provider's answer has no choices[0].message")
            }
            let calls = (message["tool_calls"]?.arrayValue ?? []).map { call in
                ToolCall(id: call["id"]?.stringValue ?? RuntimeClock.uuid(), name: call["function"]?["name"]?.stringValue ?? "",
                         argumentsJSON: call["function"]?["arguments"]?.stringValue ?? "{}")
            }
            return ModelResponse(text: message["content"]?.stringValue ?? "", toolCalls: calls, stopReason: choice["finish_reason"]?.stringValue ?? "stop",
                                 usage: TokenUsage(inputTokens: body["usage"]?["prompt_tokens"]?.intValue ?? 0, outputTokens: body["usage"]?["completion_tokens"]?.intValue ?? 0))
        case .anthropicMessages:
            guard let content = body["content"]?.arrayValue else { throw AgentRuntimeError(.provider, "the provider's answer has no content") }
            var text = ""
            var calls: [ToolCall] = []
            for block in content {
                switch block["type"]?.stringValue {
                case "text": text += block["text"]?.stringValue ?? ""
                case "tool_use":
                    calls.append(ToolCall(id: block["id"]?.stringValue ?? RuntimeClock.uuid(), name: block["name"]?.stringValue ?? "",
                                          argumentsJSON: (block["input"] ?? [:]).jsonText))
                default: break
                }
            }
            return ModelResponse(text: text, toolCalls: calls, stopReason: body["stop_reason"]?.stringValue ?? "end_turn",
                                 usage: TokenUsage(inputTokens: body["usage"]?["input_tokens"]?.intValue ?? 0, outputTokens: body["usage"]?["output_tokens"]?.intValue ?? 0))
        }
    }

    /// The provider's error message from an error body, or the body's start.
    static func errorMessage(_ data: Data) -> String {
        if let body = try? JSONValue.parse(data) {
            if let message = body["error"]?["message"]?.stringValue {
                let type = body["error"]?["type"]?.stringValue
                return type.map { "\($0): \(message)" } ?? message
            }
            if let message = body["message"]?.stringValue { return message }
        }
        let text = String(decoding: data.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }
}

/// Builds a ``ModelResponse`` from streamed events of either format, reporting text as it comes.
struct StreamAccumulator {
    let api: ModelAPI
    private(set) var text = ""
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    private var stopReason: String?
    private var usage = TokenUsage()
    private(set) var finished = false

    init(api: ModelAPI) {
        self.api = api
    }

    /// Consumes one event; returns new text, if any.
    mutating func consume(_ event: ServerSentEvent) throws -> String? {
        if event.data == "[DONE]" {
            finished = true
            return nil
        }
        guard let body = try? JSONValue.parse(event.data) else {
            throw AgentRuntimeError(.provider, "a streamed event is not JSON")
        }
        switch api {
        case .openAICompletions: return try consumeOpenAI(body)
        case .anthropicMessages: return try consumeAnthropic(body, type: event.event ?? body["type"]?.stringValue ?? "")
        }
    }

    private mutating func consumeOpenAI(_ body: JSONValue) throws -> String? {
        if let error = body["error"] {
            throw AgentRuntimeError(.provider, "the provider failed mid-stream: \(error["message"]?.stringValue ?? error.jsonText)")
        }
        if let usage = body["usage"], usage != .null {
            self.usage = TokenUsage(inputTokens: usage["prompt_tokens"]?.intValue ?? 0, outputTokens: usage["completion_tokens"]?.intValue ?? 0)
        }
        guard let choice = body["choices"]?.arrayValue?.first else { return nil }
        if let reason = choice["finish_reason"]?.stringValue { stopReason = reason }
        let delta = choice["delta"]
        for call in delta?["tool_calls"]?.arrayValue ?? [] {
            let index = call["index"]?.intValue ?? 0
            var entry = calls[index] ?? ("", "", "")
            if let id = call["id"]?.stringValue { entry.id = id }
            if let name = call["function"]?["name"]?.stringValue { entry.name += name }
            if let arguments = call["function"]?["arguments"]?.stringValue { entry.arguments += arguments }
            calls[index] = entry
        }
        if let piece = delta?["content"]?.stringValue, !piece.isEmpty {
            text += piece
            return piece
        }
        return nil
    }

    private mutating func consumeAnthropic(_ body: JSONValue, type: String) throws -> String? {
        switch type {
        case "message_start":
            usage.inputTokens = body["message"]?["usage"]?["input_tokens"]?.intValue ?? 0
            usage.outputTokens = body["message"]?["usage"]?["output_tokens"]?.intValue ?? 0
        case "content_block_start":
            let index = body["index"]?.intValue ?? 0
            if let block = body["content_block"], block["type"]?.stringValue == "tool_use" {
                calls[index] = (block["id"]?.stringValue ?? RuntimeClock.uuid(), block["name"]?.stringValue ?? "", "")
            }
        case "content_block_delta":
            let index = body["index"]?.intValue ?? 0
            let delta = body["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                if let piece = delta?["text"]?.stringValue, !piece.isEmpty {
                    text += piece
                    return piece
                }
            case "input_json_delta":
                if var entry = calls[index] {
                    entry.arguments += delta?["partial_json"]?.stringValue ?? ""
                    calls[index] = entry
                }
            default: break
            }
        case "message_delta":
            if let reason = body["delta"]?["stop_reason"]?.stringValue { stopReason = reason }
            if let output = body["usage"]?["output_tokens"]?.intValue { usage.outputTokens = output }
        case "message_stop":
            finished = true
        case "error":
            throw AgentRuntimeError(.provider, "the provider failed mid-stream: \(WireFormat.errorMessage(body.encoded()))")
        default: break
        }
        return nil
    }

    /// The complete answer.
    func response() throws -> ModelResponse {
        guard finished || stopReason != nil else {
            throw AgentRuntimeError(.provider, "the stream ended before the answer was complete")
        }
        let toolCalls = calls.keys.sorted().compactMap { index -> ToolCall? in
            guard let call = calls[index] else { return nil }
            return ToolCall(id: call.id.isEmpty ? RuntimeClock.uuid() : call.id, name: call.name, argumentsJSON: call.arguments.isEmpty ? "{}" : call.arguments)
        }
        return ModelResponse(text: text, toolCalls: toolCalls, stopReason: stopReason ?? (toolCalls.isEmpty ? "stop" : "tool_calls"), usage: usage)
    }
}
