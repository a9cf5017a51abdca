import StateStore
import Synchronization

/// One holder per agent at a time, the others waiting in order: adoptions of one agent never
/// restore it twice.
final class AgentTurns: Sendable {
    private struct Line {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let lines = Mutex<[AgentID: Line]>([:])

    struct Turn: Sendable {}

    /// Waits for the agent's turn.
    func acquire(_ agent: AgentID) async -> Turn {
        await withCheckedContinuation { continuation in
            let now = lines.withLock { lines -> Bool in
                var line = lines[agent] ?? Line()
                defer { lines[agent] = line }
                if !line.held {
                    line.held = true
                    return true
                }
                line.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return Turn()
    }

    /// Ends the turn; the next waiter's begins.
    func release(_ agent: AgentID, _ turn: Turn) {
        let next = lines.withLock { lines -> CheckedContinuation<Void, Never>? in
            guard var line = lines[agent] else { return nil }
            if line.waiting.isEmpty {
                lines[agent] = nil
                return nil
            }
            let next = line.waiting.removeFirst()
            lines[agent] = line
            return next
        }
        next?.resume()
    }
}

/// A set of agents shared between tasks (the agents moving off this gateway).
final class AgentSet: Sendable {
    private let members = Mutex<Set<AgentID>>([])

    func contains(_ agent: AgentID) -> Bool { members.withLock { $0.contains(agent) } }

    @discardableResult
    func insert(_ agent: AgentID) -> Bool { members.withLock { $0.insert(agent).inserted } }

    func remove(_ agent: AgentID) { members.withLock { _ = $0.remove(agent) } }
}
