import Foundation

extension AgentRuntime {
    /// The run of an idempotency key already used in the current session of `key`: finished (its
    /// recorded start and outcome as events) or, when its message has no `run_end` yet, in flight
    /// elsewhere or interrupted. `nil` when the key is new.
    func recordedRun(_ key: SessionKey, idempotencyKey: String) async throws -> AgentRun? {
        let sessions = self.sessions
        let found: (sessionID: String, later: [TranscriptEvent])? = try await BlockingWork.storage {
            guard let session = try sessions.session(key),
                  let message = try sessions.event(session.sessionID, idempotencyKey: idempotencyKey) else { return nil }
            return (session.sessionID, try sessions.events(session.sessionID, after: message.seq, types: ["message", "run_start", "run_end"]))
        }
        guard let found else { return nil }
        // The runs of that message end before the next user message; the last one counts.
        var start: TranscriptEvent?
        var end: TranscriptEvent?
        var answer = ""
        for event in found.later {
            if event.type == "message", event.json["message"]?["role"] == "user" { break }
            switch event.type {
            case "run_start": start = event
            case "run_end": end = event
            case "message" where event.json["message"]?["role"] == "assistant":
                let blocks = event.json["message"]?["content"]?.arrayValue ?? []
                answer = blocks.compactMap { $0["type"] == "text" ? $0["text"]?.stringValue : nil }.joined()
            default: break
            }
        }
        let runID = end?.json["runId"]?.stringValue ?? start?.json["runId"]?.stringValue ?? RuntimeClock.uuid()
        guard let end else {
            return AgentRun(runID: runID, sessionKey: key, disposition: .inFlight, events: AsyncStream { $0.finish() })
        }
        let usage = TokenUsage(inputTokens: end.json["usage"]?["input"]?.intValue ?? 0, outputTokens: end.json["usage"]?["output"]?.intValue ?? 0)
        let turns = end.json["turns"]?.intValue ?? 0
        let toolCalls = end.json["toolCalls"]?.intValue ?? 0
        let error = end.json["error"]
        let payload: AgentRunEvent.Payload
        switch end.json["status"]?.stringValue {
        case "completed":
            payload = .completed(text: answer, usage: usage, turns: turns, toolCalls: toolCalls)
        case "aborted":
            payload = .aborted(reason: error?["message"]?.stringValue ?? "the run was aborted", partialText: error?["partialText"]?.stringValue ?? "")
        default:
            let code = error?["code"]?.stringValue.flatMap(AgentRuntimeError.Code.init(rawValue:)) ?? .provider
            payload = .failed(AgentRuntimeError(code, error?["message"]?.stringValue ?? "the run failed", httpStatus: error?["httpStatus"]?.intValue))
        }
        let model = (start?.json["model"]?.stringValue).flatMap { try? ModelReference($0) } ?? ModelReference(provider: "", model: "")
        let sessionID = found.sessionID
        let events = AsyncStream<AgentRunEvent> { continuation in
            continuation.yield(AgentRunEvent(runID: runID, sessionKey: key, seq: 1, payload: .started(sessionID: sessionID, model: model)))
            continuation.yield(AgentRunEvent(runID: runID, sessionKey: key, seq: 2, payload: payload))
            continuation.finish()
        }
        return AgentRun(runID: runID, sessionKey: key, disposition: .finished, events: events)
    }
}
