import NIOCore
import Synchronization

/// The gateway's bound on runs in flight: a run past it waits for a slot, first come first
/// served, instead of starting a task of its own. Waiting costs one continuation, and the
/// waiters are bounded by the connections and their requests in flight.
final class RunSlots: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var free: Int
        var closed = false
        var waiters = CircularBuffer<Waiter>()
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(free: max(1, limit)))
    }

    /// The runs waiting for a slot.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes a slot, waiting while none is free. `false` once ``close()`` ran or the task was
    /// cancelled while waiting: no slot was taken.
    func acquire() async -> Bool {
        let id: UInt64? = state.withLock { state in
            guard !state.closed else { return 0 }
            if state.free > 0, state.waiters.isEmpty {
                state.free -= 1
                return nil
            }
            defer { state.nextWaiter += 1 }
            return state.nextWaiter + 1
        }
        guard let id else { return true }
        guard id != 0 else { return false }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let refused = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if refused { continuation.resume(returning: false) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Gives a slot back: to the longest waiter, if any.
    func release() {
        let next = state.withLock { state -> Waiter? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.free += 1
            return nil
        }
        next?.continuation.resume(returning: true)
    }

    /// Refuses every waiter and every later ``acquire()`` (the gateway is stopping).
    func close() {
        let refused = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters)
        }
        for waiter in refused { waiter.continuation.resume(returning: false) }
    }
}
