import Synchronization

/// What a run's model calls report as they go, and its first call when that was sent early.
///
/// A run sends its first turn's request while its start (the user message and `run_start`)
/// commits, so that the commit and the provider's answer overlap instead of adding up. Until the
/// run has reported `started`, what that call reports (streamed text, a rate-limited credential)
/// is held here and then delivered in order, so a run's events keep their order; a start that
/// fails cancels the call, and nothing it said is reported or recorded.
final class ModelCallProgress: Sendable {
    private let sink: RunEventSink
    private let state = Mutex(State())

    private struct State {
        /// The text streamed in the current turn, kept so a failure mid-stream still records it.
        var streamed = ""
        /// The profiles found rate-limited since the last ``takeRateLimited()``.
        var rateLimited: [String] = []
        /// The events held until ``open()``; `nil` once open.
        var held: [AgentRunEvent.Payload]? = []
        /// Set by ``close()``: the run is ending, and reports are dropped.
        var closed = false
        /// The first turn's call, sent before the run reported `started`.
        var early: Task<ModelInvoker.Outcome, any Error>?
    }

    init(sink: RunEventSink) {
        self.sink = sink
    }

    /// Reports a piece of streamed text.
    func text(_ text: String) {
        state.withLock { state in
            if state.closed { return }
            state.streamed += text
            deliver(.text(text), &state)
        }
    }

    /// Reports a credential found rate-limited (the call goes on with the next one).
    func rateLimited(_ credential: Credential) {
        state.withLock { state in
            if let id = credential.profileID { state.rateLimited.append(id) }
            deliver(.rateLimited(credential: credential.label), &state)
        }
    }

    /// Delivers what was held, in order, and every later report as it comes. Called once the
    /// run has reported `started`.
    func open() {
        state.withLock { state in
            // Delivered under the lock: a report racing with this one waits and comes after.
            for payload in state.held ?? [] { sink.emit(payload) }
            state.held = nil
        }
    }

    private func deliver(_ payload: AgentRunEvent.Payload, _ state: inout State) {
        if state.closed { return }
        if state.held != nil { state.held?.append(payload) } else { sink.emit(payload) }
    }

    /// Stops delivering reports and cancels the call sent early if the run did not take it: the
    /// run is about to report its end, after which nothing of it may be reported. (A call the run
    /// awaited has returned, and reports nothing more.)
    func close() {
        state.withLock { $0.closed = true }
        cancelEarly()
    }

    /// The text streamed in the current turn.
    var streamed: String { state.withLock { $0.streamed } }

    /// Forgets the current turn's text (its answer is recorded).
    func clearStreamed() { state.withLock { $0.streamed = "" } }

    /// The profiles found rate-limited since the last call, forgotten here.
    func takeRateLimited() -> [String] {
        state.withLock { state in
            defer { state.rateLimited = [] }
            return state.rateLimited
        }
    }

    /// Sends the first turn's call now, on the storage lane (another of its threads than the one
    /// committing the start). A second send replaces (and cancels) the first.
    func sendEarly(_ call: @escaping @Sendable () async throws -> ModelInvoker.Outcome) {
        let task = Task(executorPreference: BlockingWork.storageExecutor, priority: .utility) { try await call() }
        state.withLock { state in
            state.early?.cancel()
            state.early = task
        }
    }

    /// The call sent early, now owned by the caller; `nil` when none was sent.
    func takeEarly() -> Task<ModelInvoker.Outcome, any Error>? {
        state.withLock { state in
            defer { state.early = nil }
            return state.early
        }
    }

    /// Cancels the call sent early, if the run did not take it (its start failed, or it was
    /// aborted before it ran).
    func cancelEarly() {
        takeEarly()?.cancel()
    }
}
