import Synchronization

/// The outcome of one run, for a caller that waits for it without reading the run's events:
/// fulfilled by the run's sink as it emits the terminal event, so the waiting task is woken once
/// instead of once per event.
final class RunOutcome: Sendable {
    private enum State {
        case pending(waiters: [Int: CheckedContinuation<AgentRunResult, any Error>], nextWaiter: Int)
        case ended(Result<AgentRunResult, AgentRuntimeError>)
    }

    private let state = Mutex(State.pending(waiters: [:], nextWaiter: 0))
    private let eventsDiscarded = Atomic(false)

    /// Whether a caller waits for the outcome instead of reading the events: the events not
    /// terminal are then not kept.
    var discardsEvents: Bool { eventsDiscarded.load(ordering: .relaxed) }

    /// Records how the run ended and wakes those waiting; later calls do nothing.
    func end(_ result: Result<AgentRunResult, AgentRuntimeError>) {
        let waiters: [CheckedContinuation<AgentRunResult, any Error>] = state.withLock { state in
            guard case .pending(let waiters, _) = state else { return [] }
            state = .ended(result)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 }) }
    }

    /// Waits for the run's end and returns its result; from now on the run's events are not kept.
    /// - throws: the run's failure; `aborted` when the calling task is cancelled first (the run
    ///   itself goes on: it belongs to its host).
    func value() async throws -> AgentRunResult {
        eventsDiscarded.store(true, ordering: .relaxed)
        let waiter = state.withLock { state -> Int in
            guard case .pending(let waiters, let next) = state else { return -1 }
            state = .pending(waiters: waiters, nextWaiter: next + 1)
            return next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ended: Result<AgentRunResult, AgentRuntimeError>? = state.withLock { state in
                    switch state {
                    case .pending(var waiters, let next):
                        guard !Task.isCancelled else { return .failure(Self.stopped) }
                        waiters[waiter] = continuation
                        state = .pending(waiters: waiters, nextWaiter: next)
                        return nil
                    case .ended(let result):
                        return result
                    }
                }
                if let ended { continuation.resume(with: ended.mapError { $0 }) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<AgentRunResult, any Error>? in
                guard case .pending(var waiters, let next) = state, let continuation = waiters.removeValue(forKey: waiter) else { return nil }
                state = .pending(waiters: waiters, nextWaiter: next)
                return continuation
            }
            cancelled?.resume(throwing: Self.stopped)
        }
    }

    /// What a waiter cancelled before the run's end gets (as a reader of the events does).
    private static let stopped = AgentRuntimeError(.aborted, "the run ended without an outcome")
}
