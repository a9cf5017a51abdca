import GRDB
import GRDBSQLite
import Synchronization

/// A statement run through ``Database/firstRow(_:_:body:)`` or ``Database/forEachRow(_:_:body:)``,
/// declared once (a `static let`): on a lookup connection its prepared statement is found by a
/// small integer instead of by hashing its SQL, as GRDB's statement cache does, which costs
/// about a tenth of a lookup.
public final class LookupQuery: Sendable {
    /// The SQL text.
    public let sql: String
    /// The query's slot in each lookup connection's statements.
    @usableFromInline let slot: Int

    private static let nextSlot = Atomic<Int>(0)

    public init(_ sql: String) {
        self.sql = sql
        slot = Self.nextSlot.add(1, ordering: .relaxed).oldValue
    }
}

/// One lookup connection and the statements prepared on it, used by one thread at a time (the
/// one that checked it out of ``LookupConnections``).
@usableFromInline
final class LookupConnection: @unchecked Sendable {
    private static let begin = LookupQuery("BEGIN DEFERRED")
    private static let commit = LookupQuery("COMMIT")
    private static let rollback = LookupQuery("ROLLBACK")
    private static let schemaVersion = LookupQuery("PRAGMA schema_version")

    let queue: DatabaseQueue
    /// The connection's SQLite handle, for lookups made without GRDB
    /// (``StateDatabase/lookupFirstRow(_:_:_:body:)``).
    private let handle: OpaquePointer
    /// The connection, once known (set on the connection's first use, from inside it).
    private unowned(unsafe) var database: Database?
    /// The prepared statements of the queries run on this connection, by slot. Touched only by
    /// the thread that holds the connection, so without Swift's run-time exclusivity check.
    @exclusivity(unchecked) private var statements: [OpaquePointer?] = []
    /// The schema version GRDB's schema cache of this connection was filled under.
    private var cachedSchemaVersion: Int64?

    init(queue: DatabaseQueue) throws {
        guard let handle = queue.inDatabase({ $0.sqliteConnection }) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "a lookup connection was closed as it opened")
        }
        self.queue = queue
        self.handle = handle
    }

    /// A connection released without ``close()`` finalizes its statements before GRDB closes it
    /// (one left unfinalized would keep SQLite's connection open, and its file).
    deinit {
        for statement in statements { sqlite3_finalize(statement) }
    }

    /// Runs `body` on the connection, marked as this thread's access of the database `owner`
    /// identifies, on this connection; in one read transaction when `inTransaction`.
    func run(owner: ObjectIdentifier, inTransaction: Bool, _ body: (Database) throws -> Void) throws {
        try queue.inDatabase { db in
            if database == nil { database = db }
            try AccessMark.inside(owner, lookup: self) {
                if inTransaction {
                    try self.inTransaction(db) { try body(db) }
                } else {
                    try body(db)
                }
            }
        }
    }

    /// Runs `body` on the connection from inside an access of it on this thread (nested in
    /// ``run(owner:inTransaction:_:)``): in that access's transaction if it has one, else in one of
    /// its own when `inTransaction`.
    func runNested(inTransaction: Bool, _ body: (Database) throws -> Void) throws {
        guard let database else { preconditionFailure("LookupConnection.runNested outside an access of the connection") }
        if inTransaction, !database.isInsideTransaction {
            try self.inTransaction(database) { try body(database) }
        } else {
            try body(database)
        }
    }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws), each a prepared statement
    /// of this connection. The snapshot starts at once, with a check of the schema version, as
    /// a pool reader's does: when another connection changed the schema, GRDB's schema cache of
    /// this connection is cleared.
    private func inTransaction(_ db: Database, _ body: () throws -> Void) throws {
        try db.run(Self.begin)
        do {
            let version = try db.firstRow(Self.schemaVersion) { $0.int64(0) }
            if version != cachedSchemaVersion {
                db.clearSchemaCache()
                cachedSchemaVersion = version
            }
            try body()
        } catch {
            try? db.run(Self.rollback)
            throw error
        }
        // A statement left stepping (a row fetched and not read to its end) would keep the
        // snapshot, and block checkpoints, after COMMIT: reset every one first.
        var statement = sqlite3_next_stmt(db.sqliteConnection, nil)
        while let current = statement {
            if sqlite3_stmt_busy(current) != 0 { sqlite3_reset(current) }
            statement = sqlite3_next_stmt(db.sqliteConnection, current)
        }
        do {
            try db.run(Self.commit)
        } catch {
            try? db.run(Self.rollback)
            throw error
        }
    }

    /// The prepared statement of `query` when `db` is this connection, else `nil`.
    @usableFromInline func statement(_ query: LookupQuery, on db: Database) throws -> OpaquePointer? {
        guard database === db else { return nil }
        return try statement(query)
    }

    /// The prepared statement of `query` on this connection, prepared on its first use. Only the
    /// thread that has the connection checked out calls it.
    @usableFromInline func statement(_ query: LookupQuery) throws -> OpaquePointer {
        if query.slot < statements.count, let statement = statements[query.slot] { return statement }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, query.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(handle)), sql: query.sql)
        }
        if query.slot >= statements.count { statements += Array(repeating: nil, count: query.slot + 1 - statements.count) }
        statements[query.slot] = prepared
        return prepared
    }

    /// Finalizes the statements and closes the connection.
    func close() {
        queue.inDatabase { _ in
            for statement in statements { sqlite3_finalize(statement) }
            statements = []
        }
        try? queue.close()
    }
}

extension Database {
    /// Runs `query`, which returns no row (a transaction statement).
    fileprivate func run(_ query: LookupQuery) throws {
        try RawStatement.step(statement(query), query, []) { _ in false }
    }
}
