import StateStore
import Synchronization

/// The runs in flight in one host: who may be aborted by id, which idempotency keys are taken,
/// and whose turn it is in each session.
///
/// A session runs one run at a time; later runs wait their turn in the order `run(_:)` was
/// called (FIFO), so the events of two runs of one session never interleave in its transcript.
final class RunRegistry: Sendable {
    private struct Entry {
        var sessionKey: SessionKey
        var idempotencyKey: String?
        var task: Task<Void, Never>?
        var abortReason: String?
    }

    /// The runs of one session: the one holding the session, then those waiting, oldest first.
    private struct Line {
        var holder: String?
        var waiting: [(runID: String, continuation: CheckedContinuation<Void, any Error>?)] = []
        var cancelled: Set<String> = []
    }

    private struct State {
        var runs: [String: Entry] = [:]
        var idempotency: [String: String] = [:]
        var lines: [SessionKey: Line] = [:]
    }

    private let state = Mutex(State())

    private static func idempotencyEntry(_ key: SessionKey, _ idempotencyKey: String) -> String {
        key.value + "\u{0}" + idempotencyKey
    }

    /// What ``register(runID:sessionKey:idempotencyKey:)`` did.
    enum Registration: Equatable {
        /// The run is registered and queued in its session.
        case registered
        /// A run with the same idempotency key is in flight in that session (its id); nothing was
        /// registered.
        case inFlight(String)
        /// Another run in flight has this run id; nothing was registered.
        case runIDInUse
    }

    /// Registers a new run and queues it in its session, unless a run with the same idempotency
    /// key is in flight in that session or a run with the same id is in flight anywhere.
    func register(runID: String, sessionKey: SessionKey, idempotencyKey: String?) -> Registration {
        state.withLock { state in
            if let idempotencyKey {
                let entry = Self.idempotencyEntry(sessionKey, idempotencyKey)
                if let existing = state.idempotency[entry] { return .inFlight(existing) }
                guard state.runs[runID] == nil else { return .runIDInUse }
                state.idempotency[entry] = runID
            } else if state.runs[runID] != nil {
                return .runIDInUse
            }
            state.runs[runID] = Entry(sessionKey: sessionKey, idempotencyKey: idempotencyKey)
            var line = state.lines[sessionKey] ?? Line()
            if line.holder == nil { line.holder = runID } else { line.waiting.append((runID, nil)) }
            state.lines[sessionKey] = line
            return .registered
        }
    }

    /// Gives the run its task; a run aborted before it had one is cancelled at once.
    func attach(_ task: Task<Void, Never>, to runID: String) {
        let cancel = state.withLock { state -> Bool in
            state.runs[runID]?.task = task
            return state.runs[runID]?.abortReason != nil
        }
        if cancel { task.cancel() }
    }

    /// Whether the run holds its session now (it was first in line).
    func holdsTurn(_ runID: String, in key: SessionKey) -> Bool {
        state.withLock { $0.lines[key]?.holder == runID }
    }

    /// Waits until the run holds its session.
    /// - throws: `CancellationError` when the run was aborted while waiting (it then left the line).
    func waitForTurn(_ runID: String, in key: SessionKey) async throws {
        // A free session (the common case) is taken without suspending.
        let holds = state.withLock { state in state.lines[key].map { $0.holder == runID } ?? true }
        if holds { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready: Bool? = state.withLock { state in
                    guard var line = state.lines[key] else { return true }
                    if line.holder == runID { return true }
                    if line.cancelled.remove(runID) != nil {
                        line.waiting.removeAll { $0.runID == runID }
                        state.lines[key] = line
                        return false
                    }
                    if let index = line.waiting.firstIndex(where: { $0.runID == runID }) {
                        line.waiting[index].continuation = continuation
                        state.lines[key] = line
                        return nil
                    }
                    return true
                }
                switch ready {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let waiting: CheckedContinuation<Void, any Error>? = state.withLock { state in
                guard var line = state.lines[key], line.holder != runID else { return nil }
                defer { state.lines[key] = line }
                if let index = line.waiting.firstIndex(where: { $0.runID == runID }), let continuation = line.waiting[index].continuation {
                    line.waiting.remove(at: index)
                    return continuation
                }
                line.cancelled.insert(runID)
                return nil
            }
            waiting?.resume(throwing: CancellationError())
        }
    }

    /// Ends the run: it leaves its session (the next run waiting gets its turn) and the registry.
    func finish(_ runID: String) {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard let entry = state.runs.removeValue(forKey: runID) else { return nil }
            if let idempotencyKey = entry.idempotencyKey {
                state.idempotency[Self.idempotencyEntry(entry.sessionKey, idempotencyKey)] = nil
            }
            guard var line = state.lines[entry.sessionKey] else { return nil }
            var resumed: CheckedContinuation<Void, any Error>?
            if line.holder == runID {
                if line.waiting.isEmpty {
                    line.holder = nil
                } else {
                    let next = line.waiting.removeFirst()
                    line.holder = next.runID
                    resumed = next.continuation
                }
            } else {
                line.waiting.removeAll { $0.runID == runID }
                line.cancelled.remove(runID)
            }
            state.lines[entry.sessionKey] = line.holder == nil && line.waiting.isEmpty ? nil : line
            return resumed
        }
        next?.resume()
    }

    /// Aborts a run in flight: its task is cancelled and `reason` recorded. Returns `false` when
    /// no such run is in flight.
    func abort(_ runID: String, reason: String) -> Bool {
        let task: Task<Void, Never>?? = state.withLock { state in
            guard state.runs[runID] != nil else { return .none }
            if state.runs[runID]?.abortReason == nil { state.runs[runID]?.abortReason = reason }
            return .some(state.runs[runID]?.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    /// Why the run was aborted, if it was.
    func abortReason(_ runID: String) -> String? {
        state.withLock { $0.runs[runID]?.abortReason }
    }

    /// The ids of the runs in flight (waiting for their session or running).
    var activeRunIDs: [String] {
        state.withLock { Array($0.runs.keys) }.sorted()
    }

    /// The runs in flight of one agent's sessions, with their tasks.
    func runs(of agent: AgentID) -> [(runID: String, task: Task<Void, Never>?)] {
        state.withLock { state in state.runs.filter { $0.value.sessionKey.agent == agent }.map { ($0.key, $0.value.task) } }
    }

    /// The tasks of the runs in flight.
    var activeTasks: [Task<Void, Never>] {
        state.withLock { $0.runs.values.compactMap(\.task) }
    }
}
