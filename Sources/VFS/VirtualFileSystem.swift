import Foundation
import GRDB
import Storage

/// A virtual filesystem stored in one SQLite database, divided into namespaces.
///
/// ```swift
/// let database = try StateDatabase(path: path, identity: identity, components: [VirtualFileSystem.schema])
/// let vfs = VirtualFileSystem(database: database)
/// let workspace = try vfs.namespace("workspace")
/// try workspace.writeFile("/notes/todo.md", contents: Data("hello".utf8))
/// ```
///
/// Every mutation is one `BEGIN IMMEDIATE` transaction, so a crash leaves the old state or the
/// new one. Reads run on a pool of read connections, concurrently with the writer and with other
/// processes writing the same file. Listing and walking use prefix-indexed range queries on
/// `(namespace, path)` and a covering index on `(namespace, parent, name, ...)`; no query scans a
/// namespace.
public final class VirtualFileSystem: Sendable {
    /// The database holding the VFS tables.
    public let database: StateDatabase
    /// Default limits for namespaces without quotas of their own, and the storage layout.
    public let limits: VFSLimits
    /// The namespaces that cannot be removed (`EPERM`): those the schema created.
    public let builtInNamespaces: Set<String>

    /// Creates a VFS over `database`, which must have been opened with ``schema`` (or
    /// ``schema(builtInNamespaces:)`` with the same `builtInNamespaces`) among its components.
    public init(database: StateDatabase, limits: VFSLimits = .fromEnvironment(),
                builtInNamespaces: [String] = [NamespaceName.workspace]) {
        self.database = database
        self.limits = limits
        self.builtInNamespaces = Set(builtInNamespaces)
    }

    /// A handle on one namespace. The name is validated; the namespace need not exist yet
    /// (writes create it, reads of a missing namespace fail with `ENOENT`).
    /// - parameter operation: the operation named in an error.
    public func namespace(_ name: String, operation: String = "namespace") throws -> VFSNamespace {
        VFSNamespace(name: try NamespaceName.validate(name, operation: operation), fileSystem: self)
    }

    /// The connection this thread is already using for this VFS, if any: a callback of `walk`,
    /// `streamFile` or an import's progress may call back into the VFS, and those calls run on
    /// the same connection and snapshot instead of re-entering GRDB (which forbids it).
    private let activeConnection = ActiveConnection()
    /// When released contents were last collected (see ``collectReleasedContents(olderThan:)``).
    let releasedCollection = ReleasedContentCollection()

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction and maps SQLite failures to `VFSError`.
    /// Nested in another write on this thread, `body` runs in a savepoint of that transaction.
    func write<T>(_ operation: String, _ path: String, _ body: (Database) throws -> T) throws -> T {
        if let active = activeConnection.current {
            if active.isWrite {
                return try mapping(operation, path) {
                    var result: T?
                    try active.database.inSavepoint {
                        result = try body(active.database)
                        return .commit
                    }
                    guard let result else { throw VFSError(EIO, operation, path) }
                    return result
                }
            }
            if database.journal == .rollback {
                throw VFSError(EDEADLK, operation, path, detail: "cannot write from inside a read callback on a single-connection database")
            }
        }
        if !Self.spaceFreeingOperations.contains(operation) { try refuseOnReserve(operation, path) }
        do {
            return try writeTransaction(operation, path, body)
        } catch let error as VFSError where error.errno == ENOSPC {
            // Not for the collection that recovery itself runs (``reclaimSpace()``): no recursion.
            if operation != Self.releasedCollectionOperation { recoverFromFullDisk() }
            throw error
        }
    }

    private func writeTransaction<T>(_ operation: String, _ path: String, _ body: (Database) throws -> T) throws -> T {
        try mapping(operation, path) {
            // Storage's write: one BEGIN IMMEDIATE transaction.
            try database.write { db in
                let result = try activeConnection.with(db, isWrite: true) { try body(db) }
                try releasedCollection.collectIfDue(db, grace: limits.releasedContentGrace)
                return result
            }
        }
    }

    /// Runs `body` in one read transaction (a consistent snapshot) on a read connection.
    /// Nested in another read or write on this thread, `body` runs on that connection.
    func read<T>(_ operation: String, _ path: String, _ body: (Database) throws -> T) throws -> T {
        if let active = activeConnection.current {
            return try mapping(operation, path) { try body(active.database) }
        }
        return try mapping(operation, path) {
            try database.read { db in try activeConnection.with(db, isWrite: false) { try body(db) } }
        }
    }

    /// Runs `body`, which must need only one SELECT on its success path, on a read connection
    /// without opening a transaction: one statement is atomic on its own, and skipping
    /// BEGIN/COMMIT halves the cost of the hot lookups (stat, small reads, open). Error paths may
    /// run further statements to name the precise errno; they need no snapshot.
    func readOnce<T>(_ operation: String, _ path: String, _ body: (Database) throws -> T) throws -> T {
        if let active = activeConnection.current {
            return try mapping(operation, path) { try body(active.database) }
        }
        return try mapping(operation, path) { try database.readWithoutTransaction(body) }
    }

    /// The first row of `query` for `namespace` and `key`, read through SQLite's C API alone
    /// (``StateDatabase/lookupFirstRow(_:_:_:body:)``); `nil` when there is none or when that
    /// path cannot serve, and the caller then reads the usual way.
    func lookup<T>(_ operation: String, _ path: String, _ query: LookupQuery, _ namespace: String, _ key: String,
                   _ body: (RawRow) throws -> T) throws -> T? {
        try mapping(operation, path) { try database.lookupFirstRow(query, namespace, key, body: body) }
    }

    /// Calls `body` with every row of `query` for `namespace` and `key` through SQLite's C API
    /// alone (``StateDatabase/lookupEachRow(_:_:_:body:)``); `false` when that path cannot serve.
    func lookupEach(_ operation: String, _ path: String, _ query: LookupQuery, _ namespace: String, _ key: String,
                    _ body: (RawRow) throws -> Void) throws -> Bool {
        try mapping(operation, path) { try database.lookupEachRow(query, namespace, key, body: body) }
    }

    private func mapping<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw map(error, operation, path)
        }
    }

    /// Maps an SQLite error to the errno a filesystem would give (``SQLiteFailure``'s table).
    func map(_ error: DatabaseError, _ operation: String, _ path: String) -> VFSError {
        let failure = SQLiteFailure(error, databasePath: database.path)
        return VFSError(failure.errno, operation, path, detail: failure.message, isDamage: failure.isDamage)
    }
}

/// One namespace of a ``VirtualFileSystem``: the unit that paths are relative to.
///
/// Paths are normalized with ``VFSPath``; every method throws ``VFSError``.
public struct VFSNamespace: Sendable {
    /// The namespace name, for example `workspace` or `run:42`.
    public let name: String
    /// The filesystem it belongs to.
    public let fileSystem: VirtualFileSystem

    var limits: VFSLimits { fileSystem.limits }
}
