import GRDB
import Synchronization

/// Read connections for single-statement lookups and synchronous reads, beside GRDB's reader
/// pool.
///
/// A lookup through the pool pays for more than its statement: the pool's checkout (a barrier
/// queue, a semaphore, a dispatch group, a scan for a reader already in use on this thread) and
/// `PRAGMA schema_version`, which GRDB runs before every read so that its schema cache stays
/// right, and which in autocommit mode takes a WAL snapshot of its own. Together that is more
/// than the lookup itself (measured in docs/benchmarks.md, "VFS reads"). These connections are
/// plain read-only `DatabaseQueue`s, each owned here and lent to one caller at a time: a lookup
/// costs its statement and one snapshot, a read its statements between a prepared BEGIN and
/// COMMIT. A read checks the schema version as a pool reader does and clears GRDB's schema cache
/// of the connection when it changed; a lookup does not (its callers run fixed statements, which
/// SQLite re-prepares itself after a schema change).
///
/// Opened on demand, at most `capacity` of them; when all are lent out, or one cannot be opened,
/// the caller falls back to the pool.
final class LookupConnections: Sendable {
    private struct State {
        var idle: [LookupConnection] = []
        var opened = 0
        var canOpen = true
        var isClosed = false
    }

    private enum Checkout {
        case use(LookupConnection)
        case open
        case none
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let open: @Sendable () throws -> DatabaseQueue

    init(capacity: Int, open: @escaping @Sendable () throws -> DatabaseQueue) {
        self.capacity = capacity
        self.open = open
    }

    /// Lends a free connection to `body` and returns `true`, or returns `false` without running
    /// it when none is free.
    func withIdleConnection(_ body: (LookupConnection) throws -> Void) throws -> Bool {
        guard let connection = checkOut() else { return false }
        defer { checkIn(connection) }
        try body(connection)
        return true
    }

    /// Opens every connection now and no more later: a long-lived reader then keeps reading the
    /// file it started with, even if that file is deleted or replaced at its path.
    func openAll() {
        var opened: [LookupConnection] = []
        while let connection = checkOut() { opened.append(connection) }
        state.withLock { $0.canOpen = false }
        for connection in opened { checkIn(connection) }
    }

    /// Closes the idle connections now and the lent ones when they come back.
    func close() {
        let idle = state.withLock { state in
            state.isClosed = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func checkOut() -> LookupConnection? {
        let checkout = state.withLock { state -> Checkout in
            if state.isClosed { return .none }
            if let connection = state.idle.popLast() { return .use(connection) }
            guard state.canOpen, state.opened < capacity else { return .none }
            state.opened += 1
            return .open
        }
        switch checkout {
        case .use(let connection):
            return connection
        case .open:
            do {
                return try LookupConnection(queue: open())
            } catch {
                // The pool reports what is wrong (a deleted file, a full disk); it is not retried here.
                state.withLock { state in
                    state.opened -= 1
                    state.canOpen = false
                }
                return nil
            }
        case .none:
            return nil
        }
    }

    private func checkIn(_ connection: LookupConnection) {
        let keep = state.withLock { state in
            if state.isClosed { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }
}
