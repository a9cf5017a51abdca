import AgentRuntime
import Foundation

/// The protocol's events for one run's runtime events: `agent` (lifecycle, assistant, tool) and
/// `chat` (delta, final, error, aborted), the `chat` delta in protocol 4's and 3's shapes.
///
/// One value per run, fed the run's events in order; a subagent's events become `agent` events
/// under their own run id and no `chat` events.
struct RunEventTranslator {
    /// What to broadcast for one runtime event.
    struct Output {
        /// `agent` events, for every reader.
        var agent: [JSONValue] = []
        /// The `agent` `assistant` event in protocol 4's shape (`data.delta`) and 3's (`data.delta`
        /// and the cumulative `data.text`): a long answer is not re-encoded whole per piece for 4.
        var assistant: (v4: JSONValue, v3: JSONValue)?
        /// `agent` `tool` events, only for connections with the `tool-events` cap.
        var tool: [JSONValue] = []
        /// The `chat` event in protocol 4's shape and in protocol 3's (they differ for deltas).
        var chat: (v4: JSONValue, v3: JSONValue)?
    }

    let rootRunID: String
    private var text: [String: String] = [:]
    private var agentSeq: [String: Int] = [:]
    private var chatSeq = 0
    private var sentFirstDelta = false

    init(rootRunID: String) {
        self.rootRunID = rootRunID
    }

    /// An `agent` event. Its `seq` counts the run's events that every reader gets, from 1; a
    /// `tool` event (only for connections with the `tool-events` cap) carries the `seq` of the
    /// event before it, so a connection without the cap sees no gap.
    private mutating func agentEvent(_ event: AgentRunEvent, stream: String, data: [String: JSONValue]) -> JSONValue {
        var seq = agentSeq[event.runID] ?? 0
        if stream != "tool" {
            seq += 1
            agentSeq[event.runID] = seq
        }
        var payload: [String: JSONValue] = ["runId": .string(event.runID), "seq": .int(seq), "stream": .string(stream),
                                            "ts": .int64(RuntimeClock.milliseconds()), "data": .object(data), "sessionKey": .string(event.sessionKey.value)]
        if let parent = event.parentRunID { payload["spawnedBy"] = .string(parent) }
        return .object(payload)
    }

    private mutating func chatEvent(_ event: AgentRunEvent, state: String, _ fields: [String: JSONValue]) -> JSONValue {
        chatSeq += 1
        var payload = fields
        payload["runId"] = .string(event.runID)
        payload["sessionKey"] = .string(event.sessionKey.value)
        payload["seq"] = .int(chatSeq)
        payload["state"] = .string(state)
        payload["agentId"] = .string(event.sessionKey.agent.value)
        return .object(payload)
    }

    static func assistantMessage(_ text: String) -> JSONValue {
        ["role": "assistant", "content": [["type": "text", "text": .string(text)]], "timestamp": .int64(RuntimeClock.milliseconds())]
    }

    static func usage(_ usage: TokenUsage) -> JSONValue {
        ["input": .int(usage.inputTokens), "output": .int(usage.outputTokens), "totalTokens": .int(usage.inputTokens + usage.outputTokens)]
    }

    /// Kinds of `chat` error, as OpenClaw names them.
    static func errorKind(_ error: AgentRuntimeError) -> String {
        switch error.code {
        case .timeout: "timeout"
        case .rateLimited: "rate_limit"
        default: "unknown"
        }
    }

    mutating func translate(_ event: AgentRunEvent) -> Output {
        var output = Output()
        let isRoot = event.runID == rootRunID
        switch event.payload {
        case .started(let sessionID, let model):
            output.agent.append(agentEvent(event, stream: "lifecycle", data: ["phase": "start", "startedAt": .int64(RuntimeClock.milliseconds()),
                                                                             "sessionId": .string(sessionID), "model": .string(model.description)]))
        case .text(let piece):
            let whole = (text[event.runID] ?? "") + piece
            text[event.runID] = whole
            let v3 = agentEvent(event, stream: "assistant", data: ["delta": .string(piece), "text": .string(whole)])
            var v4 = v3.objectValue ?? [:]
            v4["data"] = ["delta": .string(piece)]
            output.assistant = (.object(v4), v3)
            if isRoot {
                var v4: [String: JSONValue] = ["deltaText": .string(piece)]
                // The first delta to a recipient also carries the whole message.
                if !sentFirstDelta { v4["message"] = Self.assistantMessage(whole) }
                sentFirstDelta = true
                let first = chatEvent(event, state: "delta", v4)
                var v3 = first.objectValue ?? [:]
                v3["deltaText"] = nil
                v3["message"] = Self.assistantMessage(whole)
                output.chat = (first, .object(v3))
            }
        case .toolCall(let call):
            output.tool.append(agentEvent(event, stream: "tool", data: ["phase": "start", "name": .string(call.name), "toolCallId": .string(call.id),
                                                                       "args": (try? JSONValue.parse(call.argumentsJSON)) ?? .string(call.argumentsJSON)]))
        case .toolResult(let call, let outcome):
            output.tool.append(agentEvent(event, stream: "tool", data: ["phase": "result", "name": .string(call.name), "toolCallId": .string(call.id),
                                                                       "result": .string(outcome.text), "isError": .bool(outcome.isError)]))
        case .turnCompleted, .rateLimited:
            break
        case .completed(let final, let usage, let turns, let toolCalls):
            output.agent.append(agentEvent(event, stream: "lifecycle", data: ["phase": "end", "endedAt": .int64(RuntimeClock.milliseconds()),
                                                                             "turns": .int(turns), "toolCalls": .int(toolCalls), "usage": Self.usage(usage)]))
            if isRoot {
                var fields: [String: JSONValue] = ["usage": Self.usage(usage), "stopReason": "stop"]
                if !final.isEmpty { fields["message"] = Self.assistantMessage(final) }
                let chat = chatEvent(event, state: "final", fields)
                output.chat = (chat, chat)
            }
        case .failed(let error):
            output.agent.append(agentEvent(event, stream: "lifecycle", data: ["phase": "error", "endedAt": .int64(RuntimeClock.milliseconds()),
                                                                             "error": .string(error.message), "code": .string(error.code.rawValue)]))
            if isRoot {
                let chat = chatEvent(event, state: "error", ["errorMessage": .string(error.message), "errorKind": .string(Self.errorKind(error)),
                                                             "errorDetail": .string(error.code.rawValue)])
                output.chat = (chat, chat)
            }
        case .aborted(let reason, let partial):
            output.agent.append(agentEvent(event, stream: "lifecycle", data: ["phase": "end", "endedAt": .int64(RuntimeClock.milliseconds()),
                                                                             "aborted": true, "reason": .string(reason)]))
            if isRoot {
                var fields: [String: JSONValue] = ["stopReason": "aborted", "reason": .string(reason)]
                if !partial.isEmpty { fields["message"] = Self.assistantMessage(partial) }
                let chat = chatEvent(event, state: "aborted", fields)
                output.chat = (chat, chat)
            }
        }
        return output
    }
}
