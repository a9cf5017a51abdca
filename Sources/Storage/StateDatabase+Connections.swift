import Foundation
import GRDB
import Synchronization

/// What a module needs of the connections themselves, beside ``StateDatabase/read(_:)`` and
/// ``StateDatabase/write(_:)``: statements outside a transaction, and the pool opened up front.
extension StateDatabase {
    /// Runs `body` on a read connection without opening a transaction: each statement sees what
    /// was committed when it started, and two statements may see different states. For lookups
    /// that need one statement, where BEGIN and COMMIT would double the cost. Inside another
    /// access of this database on this thread (a read, a write, a lookup), `body` runs on that access's
    /// connection (GRDB's `unsafeReentrantRead`); otherwise on a lookup connection
    /// (``LookupConnections``), or on the pool when none is free.
    ///
    /// Inlinable over a non-generic core, so that a caller's lookup meets no generic code of
    /// this module or of GRDB, whose type metadata would be looked up at run time on each call.
    @inlinable public func readWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try readOnLookup(inTransaction: false, body)
    }

    /// The result of `body`, run once on a lookup connection when one serves (the one this
    /// thread's innermost access of this database holds, else a free one when the thread is
    /// inside no access of this database), else on the pool: in one read transaction when
    /// `inTransaction` (``read(_:)``), else without (``readWithoutTransaction(_:)``).
    @inlinable func readOnLookup<T>(inTransaction: Bool, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try runRead(inTransaction: inTransaction) { db in result = try body(db) }
        guard let result else { preconditionFailure("a read's body did not run") }
        return result
    }

    /// The non-generic core of ``readOnLookup(inTransaction:_:)``.
    @usableFromInline func runRead(inTransaction: Bool, _ body: (Database) throws -> Void) throws {
        let owner = accessOwner
        let served = try withServingLookup { connection, isNested in
            if isNested {
                try connection.runNested(inTransaction: inTransaction, body)
            } else {
                try connection.run(owner: owner, inTransaction: inTransaction, body)
            }
        }
        if served { return }
        if inTransaction {
            try writer.read { db in try AccessMark.inside(owner) { try body(db) } }
        } else {
            try writer.unsafeReentrantRead { db in try AccessMark.inside(owner) { try body(db) } }
        }
    }

    /// The first row of `query` read through SQLite's C API alone, on a lookup connection and in
    /// no transaction (one statement is atomic): no GRDB access, no queue hop, no BEGIN/COMMIT.
    /// The hottest lookups (a `stat`) use it; `body` must not touch the database.
    ///
    /// Returns `nil` when there is no row, and also when this path cannot serve: the thread is
    /// inside a pool or writer access of this database, or every lookup connection is lent out.
    /// The caller then reads the usual way, which also tells the two apart. Inside a lookup
    /// connection's access of this database the statement runs on that connection, in its
    /// snapshot.
    /// The two parameters are text (the hot lookups are by namespace and path), bound in place.
    @inlinable public func lookupFirstRow<T>(_ query: LookupQuery, _ first: String, _ second: String,
                                             body: (RawRow) throws -> T) throws -> T? {
        var result: T?
        _ = try lookupRows(query, first, second) { row in
            result = try body(row)
            return false
        }
        return result
    }

    /// Every row of `query`, in order, read as ``lookupFirstRow(_:_:_:body:)`` reads its first:
    /// returns `false`, without calling `body`, when this path cannot serve (the caller then
    /// reads the usual way).
    @inlinable public func lookupEachRow(_ query: LookupQuery, _ first: String, _ second: String,
                                         body: (RawRow) throws -> Void) throws -> Bool {
        try lookupRows(query, first, second) { row in
            try body(row)
            return true
        }
    }

    /// Steps `query` on the lookup connection that serves this thread, while `body` returns
    /// `true`; `false` when none serves.
    @inlinable func lookupRows(_ query: LookupQuery, _ first: String, _ second: String, _ body: (RawRow) throws -> Bool) throws -> Bool {
        try withLookupStatement(query) { statement in try RawStatement.step(statement, query, text: first, text: second, body) }
    }

    /// Runs `body` with the prepared statement of `query` on the lookup connection that serves
    /// this thread (``withServingLookup(_:)``) and returns `true`, or returns `false`.
    @usableFromInline func withLookupStatement(_ query: LookupQuery, _ body: (OpaquePointer) throws -> Void) throws -> Bool {
        try withServingLookup { connection, _ in try body(connection.statement(query)) }
    }

    /// Runs `body` with the lookup connection that serves a read of this database on this thread
    /// and returns `true`: the connection of the innermost access of this database when that is
    /// on one (`isNested`), else a free one, lent for `body`, when the thread is inside no access
    /// of this database. Returns `false` without running `body` when none serves (inside a pool
    /// or writer access, or with every lookup connection lent out).
    func withServingLookup(_ body: (_ connection: LookupConnection, _ isNested: Bool) throws -> Void) throws -> Bool {
        switch AccessMark.innermost(of: accessOwner) {
        case .lookup(let connection)?:
            try connection._withUnsafeGuaranteedRef { try body($0, true) }
            return true
        case nil:
            return try lookups?.withIdleConnection { connection in try body(connection, false) } ?? false
        case .connection?:
            return false
        }
    }

    /// Runs `body` on the writer connection outside any transaction, for what only runs there:
    /// checkpoints (`PRAGMA wal_checkpoint`), the writer's own settings (`synchronous`,
    /// `wal_autocheckpoint`) and tracing. Data goes through ``write(_:)``; on a read-only
    /// database the connection is `query_only`, so a write here fails with `SQLITE_READONLY`.
    public func writeWithoutTransaction<T>(_ body: (Database) throws -> T) rethrows -> T {
        try writer.writeWithoutTransaction { db in try AccessMark.inside(accessOwner) { try body(db) } }
    }

    /// Opens every read connection of the pool, and every lookup connection, now instead of on
    /// demand (a rollback-journal database has none). A long-lived reader calls it at start, so
    /// that if the file is deleted or replaced later, reads keep working from connections that
    /// are already open.
    public func openAllReaders() {
        lookups?.openAll()
        guard let pool = writer as? DatabasePool else { return }
        let count = pool.configuration.maximumReaderCount
        let group = DispatchGroup()
        // Each reader holds its connection until all have one, so the pool must open `count`.
        let gate = DispatchSemaphore(value: 0)
        let arrived = ReaderCounter()
        for _ in 0..<count {
            group.enter()
            Thread {
                try? pool.read { _ in
                    if arrived.increment() == count {
                        for _ in 0..<count { gate.signal() }
                    }
                    _ = gate.wait(timeout: .now() + 2)
                }
                group.leave()
            }.start()
        }
        _ = group.wait(timeout: .now() + 5)
    }
}

private final class ReaderCounter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
