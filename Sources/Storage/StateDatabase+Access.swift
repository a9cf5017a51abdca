import GRDB
import GRDBSQLite

/// The one way modules run SQL on a state database: a read in one snapshot, or a write in one
/// `BEGIN IMMEDIATE` transaction on the serialized writer. The async forms
/// suspend the caller and run on the database's own dispatch queues, never on a Swift
/// concurrency thread; async code uses them.
///
/// Failures are GRDB's `DatabaseError`s: each module maps them to its own error type through
/// ``SQLiteFailure``.
extension StateDatabase {
    /// Runs `body` in one read transaction (a consistent snapshot) on a read connection.
    ///
    /// On a WAL database that is a lookup connection when one is free (``LookupConnections``:
    /// its statements prepared once, its file read through a memory map, no pool checkout),
    /// else one of the pool's readers. Nested in a read on a lookup connection of this thread,
    /// `body` runs in that read's snapshot.
    @inlinable public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try readOnLookup(inTransaction: true, body)
    }

    /// Runs `body` in one read transaction on a read connection, suspending the caller meanwhile.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read { db in try AccessMark.inside(accessOwner) { try body(db) } }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back
    /// when it throws.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try checkWritable()
        return try writer.writeWithoutTransaction { db in try AccessMark.inside(accessOwner) { try Self.immediate(db, body) } }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, suspending the caller meanwhile.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkWritable()
        return try await writer.writeWithoutTransaction { db in try AccessMark.inside(accessOwner) { try Self.immediate(db, body) } }
    }

    /// GRDB's `inTransaction(.immediate)`, with `BEGIN IMMEDIATE` and `COMMIT` as prepared
    /// statements of the writer (GRDB's statement cache): GRDB parses and prepares both anew for
    /// every transaction, which cost about a tenth of a small write's transaction. Rolled back
    /// when `body` throws or the commit fails; a transaction SQLite already rolled back after an
    /// error inside it (a full disk) is not committed: `SQLITE_ABORT`, as GRDB reports it.
    private static func immediate<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        let result: T
        do {
            result = try body(db)
            guard sqlite3_get_autocommit(db.sqliteConnection) == 0 else {
                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back by SQLite after an error inside it")
            }
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            try? db.rollback()
            throw error
        }
        return result
    }

    /// Throws what a write would throw on a read-only database, without writing: a write to a
    /// read-only database fails before it starts, as SQLite would fail it (`SQLITE_READONLY`,
    /// mapped to `EROFS` by every module), with the reason in its message. Work that would be
    /// wasted when its write fails (a model request whose answer cannot be recorded) checks first.
    public func checkWritable() throws {
        guard let readOnlyReason else { return }
        throw DatabaseError(resultCode: .SQLITE_READONLY, message: "the state database is read-only: \(readOnlyReason)")
    }
}

extension StateDatabase {
    /// Copies the WAL into the database file and empties it, when the disk has room for that
    /// (see ``StateDatabase/close()``): what a host does before it closes its databases.
    public func checkpoint() {
        truncateWAL()
    }
}
