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
        var start: RunStartRecord?
        var end: RunEndRecord?
        var answer = ""
        for event in found.later {
            if case .message(let message) = event.payload, message.role == "user" { break }
            switch event.payload {
            case .message(let message) where message.role == "assistant": answer = message.text
            case .runStart(let record): start = record
            case .runEnd(let record): end = record
            default: break
            }
        }
        let runID = end?.runId ?? start?.runId ?? RuntimeClock.uuid()
        guard let end else {
            return AgentRun(runID: runID, sessionKey: key, disposition: .inFlight, events: AsyncStream { $0.finish() })
        }
        let payload: AgentRunEvent.Payload
        switch end.status {
        case "completed":
            payload = .completed(text: answer, usage: end.usage.tokens, turns: end.turns, toolCalls: end.toolCalls)
        case "aborted":
            payload = .aborted(reason: end.error?.message ?? "the run was aborted", partialText: end.error?.partialText ?? "")
        default:
            let code = end.error.flatMap { AgentRuntimeError.Code(rawValue: $0.code) } ?? .provider
            payload = .failed(AgentRuntimeError(code, end.error?.message ?? "the run failed", httpStatus: end.error?.httpStatus))
        }
        let model = start.flatMap { try? ModelReference($0.model) } ?? ModelReference(provider: "", model: "")
        let sessionID = found.sessionID
        let events = AsyncStream<AgentRunEvent> { continuation in
            continuation.yield(AgentRunEvent(runID: runID, sessionKey: key, seq: 1, payload: .started(sessionID: sessionID, model: model)))
            continuation.yield(AgentRunEvent(runID: runID, sessionKey: key, seq: 2, payload: payload))
            continuation.finish()
        }
        return AgentRun(runID: runID, sessionKey: key, disposition: .finished, events: events)
    }
}
