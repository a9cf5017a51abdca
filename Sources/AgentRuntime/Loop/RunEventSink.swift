import Synchronization

/// Where a run's events go: numbered from 1 in the order they are emitted, into the stream its
/// caller reads. A subagent's sink shares its parent's stream with its own run id and numbering.
final class RunEventSink: Sendable {
    let runID: String
    let parentRunID: String?
    let sessionKey: SessionKey
    private let continuation: AsyncStream<AgentRunEvent>.Continuation
    private let nextSeq = Mutex(1)
    /// Called once, before the run's terminal event is delivered: a reader that sees the end
    /// finds the run gone from its host (its session free, its idempotency key answered).
    private let beforeTerminal: (@Sendable () -> Void)?

    init(runID: String, parentRunID: String? = nil, sessionKey: SessionKey, continuation: AsyncStream<AgentRunEvent>.Continuation,
         beforeTerminal: (@Sendable () -> Void)? = nil) {
        self.runID = runID
        self.parentRunID = parentRunID
        self.sessionKey = sessionKey
        self.continuation = continuation
        self.beforeTerminal = beforeTerminal
    }

    /// Emits one event. Numbering and delivery happen together, so the stream's order is the
    /// numbering's even when callbacks emit from other threads.
    func emit(_ payload: AgentRunEvent.Payload) {
        let event = AgentRunEvent(runID: runID, sessionKey: sessionKey, seq: 0, payload: payload)
        if event.isTerminal { beforeTerminal?() }
        nextSeq.withLock { seq in
            continuation.yield(AgentRunEvent(runID: runID, parentRunID: parentRunID, sessionKey: sessionKey, seq: seq, payload: payload))
            seq += 1
        }
    }

    /// The sink of a subagent run spawned by this run.
    func child(runID: String, sessionKey: SessionKey) -> RunEventSink {
        RunEventSink(runID: runID, parentRunID: self.runID, sessionKey: sessionKey, continuation: continuation)
    }

    /// Ends the stream (after the run's terminal event).
    func finish() {
        continuation.finish()
    }
}
