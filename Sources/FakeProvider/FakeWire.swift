import Foundation

/// A reply reduced to what both wire formats render.
struct FakeReplyContent {
    /// Assistant text, if any.
    var text: String?
    var toolCalls: [FakeToolCall]
    /// Whether the stop reason is the tool one.
    var isToolUse: Bool

    /// The content of a non-error reply.
    init?(_ reply: FakeReply) {
        switch reply {
        case .text(let text):
            self.text = text
            self.toolCalls = []
            self.isToolUse = false
        case .toolCalls(let calls, let text):
            self.text = text
            self.toolCalls = calls
            self.isToolUse = true
        case .stall(let text):
            self.text = text
            self.toolCalls = []
            self.isToolUse = false
        case .error:
            return nil
        }
    }

    /// max(1, reply text + arguments bytes / 4).
    var completionTokens: Int {
        let bytes = (text?.utf8.count ?? 0) + toolCalls.reduce(0) { $0 + $1.argumentsJSON.utf8.count }
        return max(1, bytes / 4)
    }

    /// Anthropic has no empty text blocks next to tool calls; a plain text reply always has one.
    var anthropicText: String? {
        guard let text else { return nil }
        return text.isEmpty && !toolCalls.isEmpty ? nil : text
    }
}

/// The facts about a request that a rendered answer depends on.
struct FakeAnswerContext {
    var sequence: Int
    var model: String
    var promptTokens: Int
    var created: Int
    var includeUsage: Bool
}

enum FakeWire {
    /// Splits text after each run of spaces; the pieces concatenate to `text` exactly.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var afterSpace = false
        for character in text {
            if character == " " {
                afterSpace = true
            } else if afterSpace {
                pieces.append(current)
                current = ""
                afterSpace = false
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// The two halves (by character) of a tool call's arguments.
    static func halves(of text: String) -> (String, String) {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return (String(text[..<middle]), String(text[middle...]))
    }

    /// `argumentsJSON` when it is a JSON object, `{}` otherwise.
    static func anthropicInput(_ argumentsJSON: String) -> FakeJSON {
        let parsed = try? JSONSerialization.jsonObject(with: Data(argumentsJSON.utf8))
        return parsed is [String: Any] ? .raw(argumentsJSON) : .object([])
    }

    // MARK: OpenAI Chat Completions

    static func openAIError(type: String, message: String, code: String?) -> String {
        FakeJSON.object([
            ("error", .object([
                ("message", .string(message)),
                ("type", .string(type)),
                ("param", .null),
                ("code", .optionalString(code)),
            ]))
        ]).serialized
    }

    static func openAIToolCall(_ call: FakeToolCall) -> FakeJSON {
        .object([
            ("id", .string(call.id)),
            ("type", .string("function")),
            ("function", .object([("name", .string(call.name)), ("arguments", .string(call.argumentsJSON))])),
        ])
    }

    static func openAIUsage(_ context: FakeAnswerContext, _ content: FakeReplyContent) -> FakeJSON {
        let completion = content.completionTokens
        return .object([
            ("prompt_tokens", .int(context.promptTokens)),
            ("completion_tokens", .int(completion)),
            ("total_tokens", .int(context.promptTokens + completion)),
        ])
    }

    static func openAICompletion(_ content: FakeReplyContent, _ context: FakeAnswerContext) -> String {
        var message: [(String, FakeJSON)] = [("role", .string("assistant")), ("content", .optionalString(content.text))]
        if !content.toolCalls.isEmpty {
            message.append(("tool_calls", .array(content.toolCalls.map(openAIToolCall))))
        }
        return FakeJSON.object([
            ("id", .string("chatcmpl-\(context.sequence)")),
            ("object", .string("chat.completion")),
            ("created", .int(context.created)),
            ("model", .string(context.model)),
            ("choices", .array([
                .object([
                    ("index", .int(0)),
                    ("message", .object(message)),
                    ("finish_reason", .string(content.isToolUse ? "tool_calls" : "stop")),
                ])
            ])),
            ("usage", openAIUsage(context, content)),
        ]).serialized
    }

    /// The SSE events of a streamed completion; with `stalling`, only the role chunk and the text.
    static func openAIStream(_ content: FakeReplyContent, _ context: FakeAnswerContext, stalling: Bool) -> [String] {
        func chunk(_ choices: [FakeJSON], usage: FakeJSON? = nil) -> String {
            var members: [(String, FakeJSON)] = [
                ("id", .string("chatcmpl-\(context.sequence)")),
                ("object", .string("chat.completion.chunk")),
                ("created", .int(context.created)),
                ("model", .string(context.model)),
                ("choices", .array(choices)),
            ]
            if let usage { members.append(("usage", usage)) }
            return "data: " + FakeJSON.object(members).serialized + "\n\n"
        }
        func choice(_ delta: [(String, FakeJSON)], finishReason: String? = nil) -> FakeJSON {
            .object([("index", .int(0)), ("delta", .object(delta)), ("finish_reason", .optionalString(finishReason))])
        }

        var events = [chunk([choice([("role", .string("assistant")), ("content", .string(""))])])]
        for piece in pieces(of: content.text ?? "") {
            events.append(chunk([choice([("content", .string(piece))])]))
        }
        if stalling { return events }
        for (index, call) in content.toolCalls.enumerated() {
            events.append(chunk([choice([("tool_calls", .array([.object([
                ("index", .int(index)),
                ("id", .string(call.id)),
                ("type", .string("function")),
                ("function", .object([("name", .string(call.name)), ("arguments", .string(""))])),
            ])]))])]))
            let (first, second) = halves(of: call.argumentsJSON)
            for half in [first, second] {
                events.append(chunk([choice([("tool_calls", .array([.object([
                    ("index", .int(index)),
                    ("function", .object([("arguments", .string(half))])),
                ])]))])]))
            }
        }
        events.append(chunk([choice([], finishReason: content.isToolUse ? "tool_calls" : "stop")]))
        if context.includeUsage {
            events.append(chunk([], usage: openAIUsage(context, content)))
        }
        events.append("data: [DONE]\n\n")
        return events
    }

    // MARK: Anthropic Messages

    static func anthropicError(type: String, message: String) -> String {
        FakeJSON.object([
            ("type", .string("error")),
            ("error", .object([("type", .string(type)), ("message", .string(message))])),
        ]).serialized
    }

    static func anthropicMessage(_ content: FakeReplyContent, _ context: FakeAnswerContext) -> String {
        var blocks: [FakeJSON] = []
        if let text = content.anthropicText {
            blocks.append(.object([("type", .string("text")), ("text", .string(text))]))
        }
        for call in content.toolCalls {
            blocks.append(.object([
                ("type", .string("tool_use")),
                ("id", .string(call.id)),
                ("name", .string(call.name)),
                ("input", anthropicInput(call.argumentsJSON)),
            ]))
        }
        return FakeJSON.object([
            ("id", .string("msg_\(context.sequence)")),
            ("type", .string("message")),
            ("role", .string("assistant")),
            ("model", .string(context.model)),
            ("content", .array(blocks)),
            ("stop_reason", .string(content.isToolUse ? "tool_use" : "end_turn")),
            ("stop_sequence", .null),
            ("usage", .object([
                ("input_tokens", .int(context.promptTokens)),
                ("output_tokens", .int(content.completionTokens)),
            ])),
        ]).serialized
    }

    /// The SSE events of a streamed message; with `stalling`, only up to the text deltas.
    static func anthropicStream(_ content: FakeReplyContent, _ context: FakeAnswerContext, stalling: Bool) -> [String] {
        func event(_ type: String, _ members: [(String, FakeJSON)]) -> String {
            "event: \(type)\ndata: " + FakeJSON.object([("type", .string(type))] + members).serialized + "\n\n"
        }
        var events = [
            event("message_start", [("message", .object([
                ("id", .string("msg_\(context.sequence)")),
                ("type", .string("message")),
                ("role", .string("assistant")),
                ("content", .array([])),
                ("model", .string(context.model)),
                ("stop_reason", .null),
                ("stop_sequence", .null),
                ("usage", .object([("input_tokens", .int(context.promptTokens)), ("output_tokens", .int(1))])),
            ]))]),
            event("ping", []),
        ]
        var index = 0
        if let text = content.anthropicText {
            events.append(event("content_block_start", [
                ("index", .int(index)),
                ("content_block", .object([("type", .string("text")), ("text", .string(""))])),
            ]))
            for piece in pieces(of: text) {
                events.append(event("content_block_delta", [
                    ("index", .int(index)),
                    ("delta", .object([("type", .string("text_delta")), ("text", .string(piece))])),
                ]))
            }
            if stalling { return events }
            events.append(event("content_block_stop", [("index", .int(index))]))
            index += 1
        }
        if stalling { return events }
        for call in content.toolCalls {
            events.append(event("content_block_start", [
                ("index", .int(index)),
                ("content_block", .object([
                    ("type", .string("tool_use")),
                    ("id", .string(call.id)),
                    ("name", .string(call.name)),
                    ("input", .object([])),
                ])),
            ]))
            let (first, second) = halves(of: call.argumentsJSON)
            for half in [first, second] {
                events.append(event("content_block_delta", [
                    ("index", .int(index)),
                    ("delta", .object([("type", .string("input_json_delta")), ("partial_json", .string(half))])),
                ]))
            }
            events.append(event("content_block_stop", [("index", .int(index))]))
            index += 1
        }
        events.append(event("message_delta", [
            ("delta", .object([
                ("stop_reason", .string(content.isToolUse ? "tool_use" : "end_turn")),
                ("stop_sequence", .null),
            ])),
            ("usage", .object([("output_tokens", .int(content.completionTokens))])),
        ]))
        events.append(event("message_stop", []))
        return events
    }
}
