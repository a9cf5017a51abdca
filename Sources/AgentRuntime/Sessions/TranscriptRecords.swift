import Foundation

/// The transcript events the agent loop writes, built in one place (docs/schema.md's contract).
extension TranscriptEventDraft {
    /// The user's message.
    static func userMessage(_ text: String, idempotencyKey: String?) -> TranscriptEventDraft {
        TranscriptEventDraft(type: "message", fields: ["message": ["role": "user", "content": [["type": "text", "text": .string(text)]]]],
                             idempotencyKey: idempotencyKey)
    }

    /// The marker that starts a run (outside the conversation tree).
    static func runStart(runID: String, agent: String, model: ModelReference, api: String, namespace: String, credentials: Int,
                         historyDropped: Int) -> TranscriptEventDraft {
        var fields: [String: JSONValue] = [
            "runId": .string(runID), "agentId": .string(agent), "model": .string(model.description), "api": .string(api),
            "namespace": .string(namespace), "credentials": .int(credentials),
        ]
        if historyDropped > 0 { fields["historyDropped"] = .int(historyDropped) }
        return TranscriptEventDraft(type: "run_start", fields: fields, parent: .none)
    }

    /// One model answer: its text and tool calls (a spawn's attachments redacted).
    static func assistantMessage(_ response: ModelResponse, reference: ModelReference, credential: Credential) -> TranscriptEventDraft {
        var content: [JSONValue] = []
        if !response.text.isEmpty { content.append(["type": "text", "text": .string(response.text)]) }
        for call in response.toolCalls {
            let arguments: JSONValue = call.name == SubagentSpawner.definition.name
                ? SubagentAttachments.redactedArguments(call.argumentsJSON)
                : (try? JSONValue.parse(call.argumentsJSON)) ?? .string(call.argumentsJSON)
            content.append(["type": "toolCall", "id": .string(call.id), "name": .string(call.name), "arguments": arguments])
        }
        return TranscriptEventDraft(type: "message", fields: ["message": [
            "role": "assistant", "content": .array(content), "provider": .string(reference.provider), "model": .string(reference.model),
            "stopReason": .string(response.stopReason), "usage": response.usage.json, "credential": .string(credential.label),
        ]], usage: response.usage)
    }

    /// A tool's result.
    static func toolResult(_ call: ToolCall, _ result: ToolOutcome) -> TranscriptEventDraft {
        TranscriptEventDraft(type: "message", fields: ["message": [
            "role": "toolResult", "toolCallId": .string(call.id), "toolName": .string(call.name),
            "content": [["type": "text", "text": .string(result.text)]], "isError": .bool(result.isError), "details": .object(result.details),
        ]])
    }

    /// The marker that ends a run: `completed`, or `failed`/`aborted` with the error and the text
    /// streamed before it.
    static func runEnd(runID: String, turns: Int, usage: TokenUsage, toolCalls: Int, failure: AgentRuntimeError? = nil,
                       partialText: String = "") -> TranscriptEventDraft {
        var fields: [String: JSONValue] = [
            "runId": .string(runID), "status": "completed", "turns": .int(turns), "usage": usage.json, "toolCalls": .int(toolCalls),
        ]
        if let failure {
            var error: [String: JSONValue] = ["code": .string(failure.code.rawValue), "message": .string(failure.message)]
            if let status = failure.httpStatus { error["httpStatus"] = .int(status) }
            if !partialText.isEmpty { error["partialText"] = .string(partialText) }
            fields["status"] = .string(failure.code == .aborted ? "aborted" : "failed")
            fields["error"] = .object(error)
        }
        return TranscriptEventDraft(type: "run_end", fields: fields, parent: .none)
    }
}

extension AgentRuntime {
    /// The conversation so far, from the transcript's message events. A tool call without a
    /// recorded result (a run killed mid-way) gets a synthetic failed result, since providers
    /// refuse unanswered calls.
    static func history(from events: [TranscriptEvent]) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var pending: [(id: String, name: String)] = []
        func closePending() {
            for call in pending {
                messages.append(.toolResult(callID: call.id, toolName: call.name, text: "no result was recorded (the run was interrupted)", isError: true))
            }
            pending = []
        }
        for event in events where event.type == "message" {
            guard let message = event.json["message"], let role = message["role"]?.stringValue else { continue }
            let content = message["content"]?.arrayValue ?? []
            let text = content.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
            switch role {
            case "user":
                closePending()
                messages.append(.user(text))
            case "assistant":
                closePending()
                let calls = content.compactMap { block -> ToolCall? in
                    guard block["type"]?.stringValue == "toolCall", let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else { return nil }
                    let arguments = block["arguments"].map { $0.stringValue ?? $0.jsonText } ?? "{}"
                    return ToolCall(id: id, name: name, argumentsJSON: arguments)
                }
                // An empty answer (a content filter, a length cut) carries nothing and some
                // providers refuse it in a history.
                if !text.isEmpty || !calls.isEmpty { messages.append(.assistant(text: text, toolCalls: calls)) }
                pending = calls.map { ($0.id, $0.name) }
            case "toolResult":
                guard let id = message["toolCallId"]?.stringValue, let index = pending.firstIndex(where: { $0.id == id }) else { continue }
                let call = pending.remove(at: index)
                messages.append(.toolResult(callID: id, toolName: call.name, text: text, isError: message["isError"]?.boolValue ?? false))
            default: continue
            }
        }
        closePending()
        return messages
    }
}
