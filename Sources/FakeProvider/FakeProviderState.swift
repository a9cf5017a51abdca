import Foundation
import Synchronization

/// What the responder does with one admitted request.
enum FakeAdmission: Sendable {
    /// Answer with a key rule's error.
    case keyRule(FakeKeyRule)
    /// The body is not a JSON object: answer 400.
    case badRequest
    /// Answer with this reply; `sequence` numbers the response ids (`chatcmpl-N`, `msg_N`).
    case reply(FakeReply, sequence: Int)
}

/// The provider's scripted replies, rules and recorded requests, shared with the HTTP responder.
final class FakeProviderState: Sendable {
    private struct State {
        var queue: [FakeReply] = []
        var queueHead = 0
        var defaultReply: FakeReply = .text("ok")
        var keyRules: [String: FakeKeyRule] = [:]
        var latency: Duration = .zero
        var requests: [FakeRecordedRequest] = []
        var sequence = 0
        var stopped = false
        var nextWaiterID: UInt64 = 0
        var stallWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]

        mutating func popReply() -> FakeReply {
            guard queueHead < queue.count else { return defaultReply }
            let reply = queue[queueHead]
            queueHead += 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
            return reply
        }
    }

    private let state = Mutex(State())

    func enqueue(_ replies: [FakeReply]) {
        state.withLock { $0.queue.append(contentsOf: replies) }
    }

    func setDefaultReply(_ reply: FakeReply) {
        state.withLock { $0.defaultReply = reply }
    }

    func setKeyRule(_ key: String, _ rule: FakeKeyRule?) {
        state.withLock { $0.keyRules[key] = rule }
    }

    func setLatency(_ duration: Duration) {
        state.withLock { $0.latency = duration }
    }

    var latency: Duration {
        state.withLock { $0.latency }
    }

    var requests: [FakeRecordedRequest] {
        state.withLock { $0.requests }
    }

    var requestCount: Int {
        state.withLock { $0.requests.count }
    }

    func reset() {
        state.withLock {
            $0.queue.removeAll()
            $0.queueHead = 0
            $0.defaultReply = .text("ok")
            $0.keyRules.removeAll()
            $0.requests.removeAll()
        }
    }

    /// Records `request` and decides, in arrival order, how it is answered.
    func admit(_ request: FakeRecordedRequest, bodyIsValid: Bool) -> (FakeAdmission, latency: Duration) {
        state.withLock { state in
            state.requests.append(request)
            if let key = request.apiKey, let rule = state.keyRules[key] {
                return (.keyRule(rule), state.latency)
            }
            guard bodyIsValid else { return (.badRequest, state.latency) }
            state.sequence += 1
            return (.reply(state.popReply(), sequence: state.sequence), state.latency)
        }
    }

    /// Marks the provider stopped and releases every stalled response.
    func markStopped() {
        let waiters = state.withLock { state in
            state.stopped = true
            let waiters = Array(state.stallWaiters.values)
            state.stallWaiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until the provider stops or the calling task is cancelled.
    func waitUntilStopped() async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.stopped || Task.isCancelled { return true }
                    state.stallWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.stallWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
