import Synchronization

/// Where a run's events go: numbered from 1 in the order they are emitted, into the stream its
/// caller reads. A subagent's sink shares its parent's stream with its own run id and numbering.
final class RunEventSink: Sendable {
    let runID: String
    let parentRunID: String?
    let sessionKey: SessionKey
    private let continuation: AsyncStream<AgentRunEvent>.Continuation
    private let progress = Mutex(Progress())
    /// Fulfilled with the terminal event (the top run's sink only).
    let outcome: RunOutcome?
    /// The top run's outcome, whose waiter decides whether events are kept (a subagent's too).
    private let keeper: RunOutcome?

    /// The numbering, and what the `started` event said (for the outcome).
    private struct Progress {
        var nextSeq = 1
        var sessionID = ""
        var model: ModelReference?
    }
    /// Called once, before the run's terminal event is delivered: a reader that sees the end
    /// finds the run gone from its host (its session free, its idempotency key answered).
    private let beforeTerminal: (@Sendable () -> Void)?

    init(runID: String, parentRunID: String? = nil, sessionKey: SessionKey, continuation: AsyncStream<AgentRunEvent>.Continuation,
         outcome: RunOutcome? = nil, keeper: RunOutcome? = nil, beforeTerminal: (@Sendable () -> Void)? = nil) {
        self.outcome = outcome
        self.keeper = keeper ?? outcome
        self.runID = runID
        self.parentRunID = parentRunID
        self.sessionKey = sessionKey
        self.continuation = continuation
        self.beforeTerminal = beforeTerminal
    }

    /// Emits one event. Numbering and delivery happen together, so the stream's order is the
    /// numbering's even when callbacks emit from other threads. When the caller waits for the
    /// outcome instead of reading the events, only the terminal event is kept.
    func emit(_ payload: AgentRunEvent.Payload) {
        let event = AgentRunEvent(runID: runID, parentRunID: parentRunID, sessionKey: sessionKey, seq: 0, payload: payload)
        let terminal = event.isTerminal
        if terminal { beforeTerminal?() }
        let ended: Result<AgentRunResult, AgentRuntimeError>? = progress.withLock { progress in
            var event = event
            event.seq = progress.nextSeq
            progress.nextSeq += 1
            if case .started(let sessionID, let model) = payload {
                progress.sessionID = sessionID
                progress.model = model
            }
            if (terminal && outcome != nil) || keeper?.discardsEvents != true { continuation.yield(event) }
            guard terminal, outcome != nil else { return nil }
            return AgentRun.outcome(of: payload, runID: runID, sessionKey: sessionKey, sessionID: progress.sessionID, model: progress.model)
        }
        if let ended { outcome?.end(ended) }
    }

    /// The sink of a subagent run spawned by this run.
    func child(runID: String, sessionKey: SessionKey) -> RunEventSink {
        RunEventSink(runID: runID, parentRunID: self.runID, sessionKey: sessionKey, continuation: continuation, keeper: keeper)
    }

    /// Ends the stream (after the run's terminal event).
    func finish() {
        outcome?.end(.failure(AgentRuntimeError(.aborted, "the run ended without an outcome")))
        continuation.finish()
    }
}
