import Foundation
import GRDB

/// A change recorded in the VFS change log: something in the subtree at `path` of `namespace`
/// was created, rewritten, moved or removed. A change at `/` of a namespace may also mean the
/// namespace itself was created, forked or removed.
public struct VFSChange: Sendable, Hashable {
    /// The position in the log; increases with every change.
    public var sequence: Int64
    public var namespace: String
    public var path: String
}

/// A page of the change log from ``VirtualFileSystem/changes(after:limit:)``.
public struct VFSChangePage: Sendable {
    /// The changes after the requested position, in order.
    public var changes: [VFSChange]
    /// `false` when records after the requested position were already trimmed from the log: the
    /// reader missed changes and must treat everything as changed.
    public var isComplete: Bool
    /// The position to ask from next time.
    public var lastSequence: Int64
}

extension VirtualFileSystem {
    /// How many change records the log keeps.
    public static let changeLogCapacity: Int64 = 10_000

    /// The position of the newest change (0 if none).
    public func latestChangeSequence() throws -> Int64 {
        try read("changes", "/") { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM vfs_changes") ?? 0 }
    }

    /// The changes after position `sequence`, oldest first, at most `limit` of them.
    public func changes(after sequence: Int64, limit: Int = 1000) throws -> VFSChangePage {
        try read("changes", "/") { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, namespace, path FROM vfs_changes WHERE seq > ? ORDER BY seq LIMIT ?"),
                                        arguments: [sequence, limit])
            let changes = rows.map { VFSChange(sequence: $0[0], namespace: $0[1], path: $0[2]) }
            // Committed changes are numbered consecutively (max + 1, under the write lock), so a
            // gap right after the position means its records were trimmed.
            let complete = changes.first.map { $0.sequence == sequence + 1 } ?? true
            return VFSChangePage(changes: changes, isComplete: complete, lastSequence: changes.last?.sequence ?? sequence)
        }
    }
}

extension VirtualFileSystem {
    /// Runs `body` inside one read transaction: every VFS read it makes (through any namespace
    /// of this filesystem, on this thread) sees the same committed state and skips its own
    /// transaction, which makes many small reads several times cheaper.
    ///
    /// ```swift
    /// let texts = try vfs.snapshot { try paths.map { try workspace.readFile($0) } }
    /// ```
    /// Writes made inside go to the writer as usual (on a rollback-journal database, which has a
    /// single connection, they fail with `EDEADLK`).
    public func snapshot<T>(_ body: () throws -> T) throws -> T {
        try read("snapshot", "/") { _ in try body() }
    }
}

extension VirtualFileSystem {
    /// Runs `body` as one `BEGIN IMMEDIATE` transaction: every VFS write it makes (in any
    /// namespace of this filesystem, on this thread) joins it, so that afterwards all of them are
    /// there or, if `body` throws, none. `db` lets the caller write its own tables of the same
    /// database in the same transaction.
    ///
    /// ```swift
    /// try vfs.transaction { _ in
    ///     try ns.writeFile("/a", contents: a)
    ///     try ns.writeFile("/b", contents: b)
    /// }
    /// ```
    /// The write lock is held until `body` returns, so keep it to small writes.
    public func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try write("transaction", "/") { db in try body(db) }
    }
}

extension VirtualFileSystem {
    /// Opens every read connection of the pool now instead of on demand. A long-lived reader (the
    /// FUSE mount) calls it at start, so that if the database file is deleted or replaced later,
    /// reads keep working from connections that are already open instead of failing to open one.
    public func openAllReaders() {
        database.openAllReaders()
    }
}
