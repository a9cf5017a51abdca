import Foundation

/// The transcript events the agent loop writes, built in one place from the typed payloads
/// (``TranscriptPayload``; docs/schema.md's contract).
extension TranscriptEventDraft {
    /// A draft of a `message` event.
    static func message(_ message: TranscriptMessage, idempotencyKey: String? = nil, usage: TokenUsage? = nil) -> TranscriptEventDraft {
        TranscriptEventDraft(type: "message", fields: ["message": message.json], idempotencyKey: idempotencyKey, usage: usage)
    }

    /// The user's message.
    static func userMessage(_ text: String, idempotencyKey: String?) -> TranscriptEventDraft {
        .message(TranscriptMessage(role: "user", content: [.text(text)]), idempotencyKey: idempotencyKey)
    }

    /// The marker that starts a run (outside the conversation tree).
    static func runStart(runID: String, agent: String, model: ModelReference, api: String, namespace: String, credentials: Int,
                         historyDropped: Int) -> TranscriptEventDraft {
        let record = RunStartRecord(runId: runID, agentId: agent, model: model.description, api: api, namespace: namespace,
                                    credentials: credentials, historyDropped: historyDropped > 0 ? historyDropped : nil, owner: .current)
        return TranscriptEventDraft(type: "run_start", fields: record.fields, parent: .none)
    }

    /// One model answer: its text and tool calls (a spawn's attachments redacted).
    static func assistantMessage(_ response: ModelResponse, reference: ModelReference, credential: Credential) -> TranscriptEventDraft {
        var content: [TranscriptContent] = response.text.isEmpty ? [] : [.text(response.text)]
        for call in response.toolCalls {
            let arguments: JSONValue = call.name == SubagentSpawner.definition.name
                ? SubagentAttachments.redactedArguments(call.argumentsJSON)
                : (try? JSONValue.parse(call.argumentsJSON)) ?? .string(call.argumentsJSON)
            content.append(.toolCall(id: call.id, name: call.name, arguments: arguments))
        }
        let message = TranscriptMessage(role: "assistant", content: content, provider: reference.provider, model: reference.model,
                                        stopReason: response.stopReason, usage: UsageRecord(response.usage), credential: credential.label)
        return .message(message, usage: response.usage)
    }

    /// A tool's result.
    static func toolResult(_ call: ToolCall, _ result: ToolOutcome) -> TranscriptEventDraft {
        .message(TranscriptMessage(role: "toolResult", content: [.text(result.text)], toolCallId: call.id, toolName: call.name,
                                   isError: result.isError, details: result.details))
    }

    /// The marker that ends a run: `completed`, or `failed`/`aborted` with the error and the text
    /// streamed before it.
    static func runEnd(runID: String, turns: Int, usage: TokenUsage, toolCalls: Int, failure: AgentRuntimeError? = nil,
                       partialText: String = "") -> TranscriptEventDraft {
        let error = failure.map { failure in
            RunEndRecord.Failure(code: failure.code.rawValue, message: failure.message, httpStatus: failure.httpStatus,
                                 partialText: partialText.isEmpty ? nil : partialText)
        }
        let status = failure.map { $0.code == .aborted ? "aborted" : $0.code == .interrupted ? "interrupted" : "failed" } ?? "completed"
        let record = RunEndRecord(runId: runID, status: status, turns: turns, usage: UsageRecord(usage), toolCalls: toolCalls, error: error)
        return TranscriptEventDraft(type: "run_end", fields: record.fields, parent: .none)
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
            guard case .message(let message) = event.payload else { continue }
            switch message.role {
            case "user":
                closePending()
                messages.append(.user(message.text))
            case "assistant":
                closePending()
                let calls = message.toolCalls
                // An empty answer (a content filter, a length cut) carries nothing and some
                // providers refuse it in a history.
                let text = message.text
                if !text.isEmpty || !calls.isEmpty { messages.append(.assistant(text: text, toolCalls: calls)) }
                pending = calls.map { ($0.id, $0.name) }
            case "toolResult":
                guard let id = message.toolCallId, let index = pending.firstIndex(where: { $0.id == id }) else { continue }
                let call = pending.remove(at: index)
                messages.append(.toolResult(callID: id, toolName: call.name, text: message.text, isError: message.isError ?? false))
            default: continue
            }
        }
        closePending()
        return messages
    }
}
