import Foundation

extension AgentRunEvent {
    private enum Keys: String, CodingKey {
        case runId, parentRunId, sessionKey, seq, type
        case sessionId, model, text, toolCallId, toolName, arguments, isError, details, turn, usage, credential
        case turns, toolCalls, code, message, httpStatus, errno, hint, reason, partialText
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(runID, forKey: .runId)
        try container.encodeIfPresent(parentRunID, forKey: .parentRunId)
        try container.encode(sessionKey.value, forKey: .sessionKey)
        try container.encode(seq, forKey: .seq)
        try container.encode(type, forKey: .type)
        switch payload {
        case .started(let sessionID, let model):
            try container.encode(sessionID, forKey: .sessionId)
            try container.encode(model.description, forKey: .model)
        case .text(let text):
            try container.encode(text, forKey: .text)
        case .toolCall(let call):
            try container.encode(call.id, forKey: .toolCallId)
            try container.encode(call.name, forKey: .toolName)
            try container.encode(call.argumentsJSON, forKey: .arguments)
        case .toolResult(let call, let outcome):
            try container.encode(call.id, forKey: .toolCallId)
            try container.encode(call.name, forKey: .toolName)
            try container.encode(call.argumentsJSON, forKey: .arguments)
            try container.encode(outcome.text, forKey: .text)
            try container.encode(outcome.isError, forKey: .isError)
            try container.encode(JSONValue.object(outcome.details).jsonText, forKey: .details)
        case .turnCompleted(let turn, let usage):
            try container.encode(turn, forKey: .turn)
            try container.encode(usage, forKey: .usage)
        case .rateLimited(let credential):
            try container.encode(credential, forKey: .credential)
        case .completed(let text, let usage, let turns, let toolCalls):
            try container.encode(text, forKey: .text)
            try container.encode(usage, forKey: .usage)
            try container.encode(turns, forKey: .turns)
            try container.encode(toolCalls, forKey: .toolCalls)
        case .failed(let error):
            try container.encode(error.code, forKey: .code)
            try container.encode(error.message, forKey: .message)
            try container.encodeIfPresent(error.httpStatus, forKey: .httpStatus)
            try container.encodeIfPresent(error.errno, forKey: .errno)
            try container.encodeIfPresent(error.hint, forKey: .hint)
        case .aborted(let reason, let partialText):
            try container.encode(reason, forKey: .reason)
            try container.encode(partialText, forKey: .partialText)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        runID = try container.decode(String.self, forKey: .runId)
        parentRunID = try container.decodeIfPresent(String.self, forKey: .parentRunId)
        sessionKey = try SessionKey(try container.decode(String.self, forKey: .sessionKey))
        seq = try container.decode(Int.self, forKey: .seq)
        let type = try container.decode(String.self, forKey: .type)
        func call() throws -> ToolCall {
            ToolCall(id: try container.decode(String.self, forKey: .toolCallId), name: try container.decode(String.self, forKey: .toolName),
                     argumentsJSON: try container.decodeIfPresent(String.self, forKey: .arguments) ?? "{}")
        }
        switch type {
        case "started":
            payload = .started(sessionID: try container.decode(String.self, forKey: .sessionId),
                               model: try ModelReference(try container.decode(String.self, forKey: .model)))
        case "text":
            payload = .text(try container.decode(String.self, forKey: .text))
        case "tool_call":
            payload = .toolCall(try call())
        case "tool_result":
            let details = try JSONValue.parse(try container.decode(String.self, forKey: .details)).objectValue ?? [:]
            payload = .toolResult(try call(), ToolOutcome(text: try container.decode(String.self, forKey: .text),
                                                          isError: try container.decode(Bool.self, forKey: .isError), details: details))
        case "turn_completed":
            payload = .turnCompleted(turn: try container.decode(Int.self, forKey: .turn), usage: try container.decode(TokenUsage.self, forKey: .usage))
        case "rate_limited":
            payload = .rateLimited(credential: try container.decode(String.self, forKey: .credential))
        case "completed":
            payload = .completed(text: try container.decode(String.self, forKey: .text), usage: try container.decode(TokenUsage.self, forKey: .usage),
                                 turns: try container.decode(Int.self, forKey: .turns), toolCalls: try container.decode(Int.self, forKey: .toolCalls))
        case "failed":
            payload = .failed(AgentRuntimeError(try container.decode(AgentRuntimeError.Code.self, forKey: .code),
                                                try container.decode(String.self, forKey: .message),
                                                httpStatus: try container.decodeIfPresent(Int.self, forKey: .httpStatus),
                                                errno: try container.decodeIfPresent(Int32.self, forKey: .errno),
                                                hint: try container.decodeIfPresent(String.self, forKey: .hint)))
        case "aborted":
            payload = .aborted(reason: try container.decode(String.self, forKey: .reason), partialText: try container.decode(String.self, forKey: .partialText))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown run event type \(type)")
        }
    }
}
