import AgentRuntime
import Foundation
import Synchronization

/// The runs this gateway started: in flight, and the last ones that ended (for `agent.wait`,
/// `chat.abort` and the second response of `agent`).
final class RunLedger: Sendable {
    /// How a run ended.
    struct Outcome: Sendable {
        enum Status: String, Sendable { case ok, error, aborted }
        var status: Status = .aborted
        var text = ""
        var usage = TokenUsage()
        var error: AgentRuntimeError?
        /// 0 until the run's end is seen.
        var endedAt: Int64 = 0
        var sessionID = ""
        var model = ""
        var turns = 0
        var toolCalls = 0

        /// Takes in one of the run's own events (not a subagent's).
        mutating func absorb(_ payload: AgentRunEvent.Payload) {
            switch payload {
            case .started(let session, let reference):
                sessionID = session
                model = reference.description
            case .completed(let final, let used, let turnCount, let calls):
                (status, text, usage, turns, toolCalls, endedAt) = (.ok, final, used, turnCount, calls, RuntimeClock.milliseconds())
            case .failed(let failure):
                (status, error, endedAt) = (.error, failure, RuntimeClock.milliseconds())
            case .aborted(let reason, let partial):
                (status, text, error, endedAt) = (.aborted, partial, AgentRuntimeError(.aborted, reason), RuntimeClock.milliseconds())
            default:
                break
            }
        }
    }

    struct Entry: Sendable {
        var sessionKey: SessionKey
        var startedAt: Int64
        var outcome: Outcome?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Ended runs, oldest first, for eviction.
        var ended: [String] = []
        var waiters: [String: [(id: Int, continuation: CheckedContinuation<Outcome?, Never>)]] = [:]
        var nextWaiter = 0
        /// Run ids whose start a connection has read and not yet resolved, with how many such
        /// requests are being answered.
        var starting: [String: Int] = [:]
        var startWaiters: [String: [(id: Int, continuation: CheckedContinuation<Void, Never>)]] = [:]
    }

    /// A request that starts run `runID` (`chat.send`, `agent`), read by its connection and being
    /// answered: an `agent.wait` read after it waits for that start to resolve instead of
    /// answering that the run is unknown. Settled once, by the start or by the request's end.
    final class Announcement: Sendable {
        let runID: String
        fileprivate let settled = Atomic(false)

        fileprivate init(runID: String) {
            self.runID = runID
        }
    }

    /// The announcement of the request being answered by the current task, if it starts a run.
    @TaskLocal static var announcement: Announcement?

    /// Records that a request starting `runID` was read (before the connection reads its next frame).
    func announce(_ runID: String) -> Announcement {
        state.withLock { $0.starting[runID, default: 0] += 1 }
        return Announcement(runID: runID)
    }

    /// The start announced is resolved (the run known here, or the request failed); later calls do nothing.
    func settle(_ announcement: Announcement) {
        guard announcement.settled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let runID = announcement.runID
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let left = (state.starting[runID] ?? 1) - 1
            state.starting[runID] = left > 0 ? left : nil
            guard left <= 0 else { return [] }
            return (state.startWaiters.removeValue(forKey: runID) ?? []).map(\.continuation)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until no announced start of `runID` is pending, or `timeout` passes.
    func waitForStart(_ runID: String, timeout: Duration) async {
        guard state.withLock({ $0.starting[runID] != nil }) else { return }
        let waiterID = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expireStartWaiter(runID, waiterID)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let pending = state.withLock { state -> Bool in
                guard state.starting[runID] != nil else { return false }
                state.startWaiters[runID, default: []].append((waiterID, continuation))
                return true
            }
            if !pending { continuation.resume() }
        }
    }

    private func expireStartWaiter(_ runID: String, _ waiterID: Int) {
        let expired = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var list = state.startWaiters[runID], let index = list.firstIndex(where: { $0.id == waiterID }) else { return nil }
            let waiter = list.remove(at: index)
            state.startWaiters[runID] = list.isEmpty ? nil : list
            return waiter.continuation
        }
        expired?.resume()
    }

    private let state = Mutex(State())
    /// Ended runs kept.
    let keptEnded = 1000

    func begin(_ runID: String, sessionKey: SessionKey) {
        state.withLock { $0.entries[runID] = Entry(sessionKey: sessionKey, startedAt: RuntimeClock.milliseconds()) }
    }

    func end(_ runID: String, _ outcome: Outcome) {
        let waiting = state.withLock { state -> [CheckedContinuation<Outcome?, Never>] in
            state.entries[runID]?.outcome = outcome
            state.ended.append(runID)
            if state.ended.count > keptEnded {
                let evicted = state.ended.removeFirst()
                state.entries[evicted] = nil
            }
            return (state.waiters.removeValue(forKey: runID) ?? []).map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: outcome) }
    }

    /// Records a run that ended before this gateway saw it (a repeated idempotency key).
    func record(_ runID: String, sessionKey: SessionKey, _ outcome: Outcome) {
        guard entry(runID) == nil else { return }
        begin(runID, sessionKey: sessionKey)
        end(runID, outcome)
    }

    func entry(_ runID: String) -> Entry? { state.withLock { $0.entries[runID] } }

    /// The ids of the runs of `key` in flight.
    func active(in key: SessionKey) -> [String] {
        state.withLock { state in state.entries.filter { $0.value.sessionKey == key && $0.value.outcome == nil }.map(\.key).sorted() }
    }

    var activeCount: Int { state.withLock { state in state.entries.values.count { $0.outcome == nil } } }

    /// The outcome of `runID` once it ends, or `nil` after `timeout` (or for a run unknown here).
    func wait(_ runID: String, timeout: Duration) async -> Outcome? {
        enum Known { case ended(Outcome), running, unknown }
        let known: Known = state.withLock { state in
            guard let entry = state.entries[runID] else { return .unknown }
            return entry.outcome.map(Known.ended) ?? .running
        }
        switch known {
        case .ended(let outcome): return outcome
        case .unknown: return nil
        case .running: break
        }
        let waiterID = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(runID, waiterID)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
            let ended: Outcome?? = state.withLock { state in
                guard let entry = state.entries[runID] else { return .some(nil) }
                if let outcome = entry.outcome { return .some(outcome) }
                state.waiters[runID, default: []].append((waiterID, continuation))
                return .none
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    private func expire(_ runID: String, _ waiterID: Int) {
        let expired = state.withLock { state -> CheckedContinuation<Outcome?, Never>? in
            guard var list = state.waiters[runID], let index = list.firstIndex(where: { $0.id == waiterID }) else { return nil }
            let waiter = list.remove(at: index)
            state.waiters[runID] = list.isEmpty ? nil : list
            return waiter.continuation
        }
        expired?.resume(returning: nil)
    }
}
