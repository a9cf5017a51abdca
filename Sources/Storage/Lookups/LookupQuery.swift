import GRDB
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
    let queue: DatabaseQueue
    /// The connection, once known (set on the connection's first use, from inside it).
    private unowned(unsafe) var database: Database?
    private var statements: [Statement?] = []

    init(queue: DatabaseQueue) {
        self.queue = queue
    }

    /// Runs `body` on the connection, marked as this thread's lookup connection.
    func run(_ body: (Database) throws -> Void) throws {
        try queue.inDatabase { db in
            if database == nil { database = db }
            return try AccessMark.inside(lookup: self) { try body(db) }
        }
    }

    /// The prepared statement of `query` when `db` is this connection, else `nil`.
    @usableFromInline func statement(_ query: LookupQuery, on db: Database) throws -> Statement? {
        guard database === db else { return nil }
        if query.slot < statements.count, let statement = statements[query.slot] { return statement }
        let statement = try db.makeStatement(sql: query.sql)
        if query.slot >= statements.count { statements += Array(repeating: nil, count: query.slot + 1 - statements.count) }
        statements[query.slot] = statement
        return statement
    }

    /// Finalizes the statements and closes the connection.
    func close() {
        queue.inDatabase { _ in statements = [] }
        try? queue.close()
    }
}
