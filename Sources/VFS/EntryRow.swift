import Foundation
import GRDB
import Storage

/// A row of `vfs_entries` as the VFS reads it.
struct EntryRow {
    static let columns = "path, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json"

    var path: String
    var isDirectory: Bool
    var mode: UInt32
    var size: Int64
    var mtime: Int64
    var ctime: Int64
    var contentID: Int64?
    var metadataJSON: String

    /// The entry of this row; consuming, so that its strings move into the entry uncopied.
    consuming func entry(hash: VFSEntry.Hash? = nil) -> VFSEntry {
        VFSEntry(path: path, kind: isDirectory ? .directory : .file, mode: mode, size: size,
                 mtimeNanoseconds: mtime, ctimeNanoseconds: ctime, hash: hash, metadataJSON: metadataJSON, contentID: contentID)
    }
}

extension EntryRow {
    /// Decodes the columns of ``columns``, in that order, from a row read in place (an
    /// extension, so that the memberwise initializer stays synthesized).
    init(raw row: RawRow) {
        self.init(raw: row, path: row.text(0), from: 1)
    }

    /// Decodes the columns of ``columns`` after `path` from column `first` on, for a lookup by
    /// path, whose row's path is the one looked up (byte for byte: paths compare as BINARY).
    init(raw row: RawRow, path: String, from first: Int32 = 0) {
        var columns = EntryColumns()
        columns.read(row, from: first)
        self.init(path: path, isDirectory: columns.isDirectory, mode: columns.mode, size: columns.size, mtime: columns.mtime,
                  ctime: columns.ctime, contentID: columns.contentID, metadataJSON: columns.metadataJSON ?? "{}")
    }
}

/// The columns of an entry after its path (those of ``EntryRow/columns``), and for a `stat` its
/// content's hash, read in place into plain values. A `stat` holds them itself and makes its
/// ``VFSEntry`` once, with the path the caller already has: no entry or string is copied and
/// released on the way out of the lookup, as a `VFSEntry` returned through it would be.
struct EntryColumns {
    var isDirectory = false
    var mode: UInt32 = 0
    var size: Int64 = 0
    var mtime: Int64 = 0
    var ctime: Int64 = 0
    var contentID: Int64?
    /// `nil` for the usual `{}`, which then needs no string made.
    var metadataJSON: String?
    var hash: VFSEntry.Hash?

    /// Reads `kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json` from column `first` on.
    mutating func read(_ row: RawRow, from first: Int32) {
        // The schema's CHECKs keep NUL bytes out of `kind` and `metadata_json` (one of two
        // words; valid JSON): each is compared with one call to SQLite.
        isDirectory = row.terminatedTextEquals(first, "directory")
        mode = UInt32(truncatingIfNeeded: row.int64(first + 1))
        size = row.int64(first + 2)
        mtime = row.int64(first + 3)
        ctime = row.int64(first + 4)
        contentID = row.optionalInt64(first + 5)
        metadataJSON = row.terminatedTextEquals(first + 6, "{}") ? nil : row.text(first + 6)
    }

    /// Reads a row of ``VFSQuery/stat``: the entry's columns, then its content's SHA-256.
    mutating func readStat(_ row: RawRow) {
        read(row, from: 0)
        hash = row.withBytes(7) { $0.map(VFSEntry.Hash.init(bytes:)) }
    }

    consuming func entry(path: consuming String) -> VFSEntry {
        VFSEntry(path: path, kind: isDirectory ? .directory : .file, mode: mode, size: size, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime,
                 hash: hash, metadataJSON: metadataJSON ?? "{}", contentID: contentID)
    }
}

/// The counters and quotas of a namespace row.
struct NamespaceRow {
    var entries: Int64
    var bytes: Int64
    var maxEntries: Int64?
    var maxBytes: Int64?
    var maxFileBytes: Int64?
    var createdAt: Int64
    var updatedAt: Int64
    var forkedFrom: String?

    static let columns = "entry_count, byte_count, max_entries, max_bytes, max_file_bytes, created_at_ns, updated_at_ns, forked_from"

    init(raw row: RawRow) {
        entries = row.int64(0)
        bytes = row.int64(1)
        maxEntries = row.optionalInt64(2)
        maxBytes = row.optionalInt64(3)
        maxFileBytes = row.optionalInt64(4)
        createdAt = row.int64(5)
        updatedAt = row.int64(6)
        forkedFrom = row.optionalText(7)
    }

    init(row: Row, offset: Int = 0) {
        entries = row[offset]
        bytes = row[offset + 1]
        maxEntries = row[offset + 2]
        maxBytes = row[offset + 3]
        maxFileBytes = row[offset + 4]
        createdAt = row[offset + 5]
        updatedAt = row[offset + 6]
        forkedFrom = row[offset + 7]
    }
}

/// The SQL the VFS runs, as small functions over a `Database`. Hot statements are cached.
enum EntryStore {
    static func entry(_ db: Database, _ namespace: String, _ path: VFSPath) throws -> EntryRow? {
        try db.firstRow(VFSQuery.entry, .text(namespace), .text(path.string)) {
            EntryRow(raw: $0, path: path.string, from: 1)
        }
    }

    static func namespaceRow(_ db: Database, _ namespace: String) throws -> NamespaceRow? {
        try db.firstRow(VFSQuery.namespace, .text(namespace)) { NamespaceRow(raw: $0) }
    }

    /// The namespace's row, or `ENOENT` naming the missing namespace.
    static func requireNamespace(_ db: Database, _ namespace: String, _ operation: String, _ path: String) throws -> NamespaceRow {
        guard let row = try namespaceRow(db, namespace) else {
            throw VFSError(ENOENT, operation, path, detail: "no namespace '\(namespace)'")
        }
        return row
    }

    /// Creates the namespace if it does not exist and returns its row.
    static func ensureNamespace(_ db: Database, _ namespace: String, now: Int64) throws -> NamespaceRow {
        if let row = try namespaceRow(db, namespace) { return row }
        try db.execute(sql: "INSERT INTO vfs_namespaces (name, created_at_ns, updated_at_ns) VALUES (?, ?, ?)", arguments: [namespace, now, now])
        try logChange(db, namespace, .root, now: now)
        guard let row = try namespaceRow(db, namespace) else { throw VFSError(EIO, "namespace", namespace) }
        return row
    }

    /// The error for a path that has no entry: `ENOTDIR` when an ancestor is a file, otherwise
    /// `ENOENT` (naming a missing namespace when that is the cause).
    static func missing(_ db: Database, _ namespace: String, _ path: VFSPath, _ operation: String) throws -> VFSError {
        guard try namespaceRow(db, namespace) != nil else {
            return VFSError(ENOENT, operation, path.string, detail: "no namespace '\(namespace)'")
        }
        for ancestor in path.ancestors {
            guard let row = try entry(db, namespace, ancestor) else { break }
            if !row.isDirectory { return VFSError(ENOTDIR, operation, path.string) }
        }
        return VFSError(ENOENT, operation, path.string)
    }

    /// The entry at `path`, or the precise error for its absence.
    static func require(_ db: Database, _ namespace: String, _ path: VFSPath, _ operation: String) throws -> EntryRow {
        guard let row = try entry(db, namespace, path) else { throw try missing(db, namespace, path, operation) }
        return row
    }

    /// Checks that `directory` exists and is a directory, creating it and its missing ancestors
    /// when `create` is set. Returns the topmost directory it created, if any.
    @discardableResult
    static func ensureDirectory(_ db: Database, _ namespace: String, _ directory: VFSPath, create: Bool, now: Int64, _ operation: String, _ subject: VFSPath) throws -> VFSPath? {
        if directory.isRoot { return nil }
        if let row = try entry(db, namespace, directory) {
            guard row.isDirectory else { throw VFSError(ENOTDIR, operation, subject.string) }
            return nil
        }
        guard create else { throw try missing(db, namespace, directory, operation).withPath(subject.string) }
        let created = try ensureDirectory(db, namespace, directory.parent, create: true, now: now, operation, subject)
        try insert(db, namespace, directory, isDirectory: true, mode: 0o755, size: 0, mtime: now, ctime: now, contentID: nil, metadataJSON: "{}")
        try touch(db, namespace, directory.parent, now: now)
        return created ?? directory
    }

    /// Records that the subtree at `path` of `namespace` changed, for watchers such as a FUSE
    /// mount (see ``VirtualFileSystem/changes(after:limit:)``). Keeps the last 10,000 records.
    static func logChange(_ db: Database, _ namespace: String, _ path: VFSPath, now: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO vfs_changes (namespace, path, changed_at_ns) VALUES (?, ?, ?)")
            .execute(arguments: [namespace, path.string, now])
        let seq = db.lastInsertedRowID
        if seq % 512 == 0 {
            try db.cachedStatement(sql: "DELETE FROM vfs_changes WHERE seq <= ?").execute(arguments: [seq - VirtualFileSystem.changeLogCapacity])
        }
    }

    static func insert(_ db: Database, _ namespace: String, _ path: VFSPath, isDirectory: Bool, mode: UInt32, size: Int64, mtime: Int64, ctime: Int64, contentID: Int64?, metadataJSON: String) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [namespace, path.string, path.isRoot ? "" : path.parent.string, path.name,
                                          isDirectory ? "directory" : "file", Int64(mode), size, mtime, ctime, contentID, metadataJSON])
    }

    /// Sets a directory's mtime and ctime, as a create or remove inside it does.
    static func touch(_ db: Database, _ namespace: String, _ directory: VFSPath, now: Int64) throws {
        if directory.isRoot {
            try db.cachedStatement(sql: "UPDATE vfs_namespaces SET updated_at_ns = ? WHERE name = ?").execute(arguments: [now, namespace])
        } else {
            try db.cachedStatement(sql: "UPDATE vfs_entries SET mtime_ns = ?, ctime_ns = ? WHERE namespace = ? AND path = ?")
                .execute(arguments: [now, now, namespace, directory.string])
        }
    }

    /// Whether a directory has at least one child.
    static func hasChildren(_ db: Database, _ namespace: String, _ directory: VFSPath) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM vfs_entries WHERE namespace = ? AND parent = ? LIMIT 1")
        return try Bool.fetchOne(statement, arguments: [namespace, directory.string]) ?? false
    }

    /// Fails with `EDQUOT` when the mutation since `before` grew the namespace past a quota.
    static func checkQuota(_ db: Database, _ namespace: String, before: NamespaceRow, limits: VFSLimits, _ operation: String, _ path: String) throws {
        // Without any quota there is nothing to read back.
        guard (before.maxBytes ?? limits.maxNamespaceBytes) != nil || (before.maxEntries ?? limits.maxNamespaceEntries) != nil,
              let after = try namespaceRow(db, namespace) else { return }
        if let maxBytes = after.maxBytes ?? limits.maxNamespaceBytes, after.bytes > maxBytes, after.bytes > before.bytes {
            throw VFSError(EDQUOT, operation, path, detail: "namespace '\(namespace)' would hold \(after.bytes) bytes, over its quota of \(maxBytes)")
        }
        if let maxEntries = after.maxEntries ?? limits.maxNamespaceEntries, after.entries > maxEntries, after.entries > before.entries {
            throw VFSError(EDQUOT, operation, path, detail: "namespace '\(namespace)' would hold \(after.entries) entries, over its quota of \(maxEntries)")
        }
    }

    /// The largest file the namespace accepts.
    static func maxFileBytes(_ row: NamespaceRow, _ limits: VFSLimits) -> Int64 {
        row.maxFileBytes ?? limits.maxFileBytes
    }

}

extension VFSError {
    func withPath(_ path: String) -> VFSError {
        var copy = self
        copy.path = path
        return copy
    }
}
