import AgentRuntime
import Foundation
import Gateway
import Synchronization

/// Suspends tasks until it is opened; waits after that return at once.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// `count` ``GatewayClient`` connections held open, each by a task of its own, until
/// ``close()``: their sessions can be used from anywhere meanwhile.
final class HeldConnections: Sendable {
    let sessions: [GatewaySession]
    private let gate: Gate
    private let tasks: [Task<Void, Never>]

    private init(sessions: [GatewaySession], gate: Gate, tasks: [Task<Void, Never>]) {
        self.sessions = sessions
        self.gate = gate
        self.tasks = tasks
    }

    /// Connects `count` clients, `parallel` handshakes at a time.
    static func open(url: String, token: String, count: Int, parallel: Int = 32,
                     identity: GatewayClient.Identity = GatewayClient.Identity()) async throws -> HeldConnections {
        let gate = Gate()
        var sessions: [GatewaySession] = []
        var tasks: [Task<Void, Never>] = []
        var failure: (any Error)?
        var next = 0
        while next < count, failure == nil {
            let batch = min(parallel, count - next)
            let (ready, readySink) = AsyncStream.makeStream(of: Result<GatewaySession, any Error>.self)
            for _ in 0..<batch {
                tasks.append(Task {
                    do {
                        try await GatewayClient.connect(url: url, token: token, identity: identity) { session in
                            readySink.yield(.success(session))
                            await gate.wait()
                        }
                    } catch {
                        readySink.yield(.failure(error))
                    }
                })
            }
            var received = 0
            for await result in ready {
                switch result {
                case .success(let session): sessions.append(session)
                case .failure(let error): failure = failure ?? error
                }
                received += 1
                if received == batch { break }
            }
            next += batch
        }
        let held = HeldConnections(sessions: sessions, gate: gate, tasks: tasks)
        if let failure {
            await held.close()
            throw BenchError("connecting client \(sessions.count + 1) of \(count): \(failure)")
        }
        return held
    }

    /// Closes every connection and waits for their tasks.
    func close() async {
        gate.open()
        for task in tasks { await task.value }
    }
}
