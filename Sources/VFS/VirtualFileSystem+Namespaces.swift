import Foundation
import GRDB
import Storage

/// Quotas of one namespace. `nil` fields fall back to ``VFSLimits``.
public struct NamespaceQuota: Sendable, Hashable, Codable {
    public var maxBytes: Int64?
    public var maxEntries: Int64?
    public var maxFileBytes: Int64?

    public init(maxBytes: Int64? = nil, maxEntries: Int64? = nil, maxFileBytes: Int64? = nil) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
        self.maxFileBytes = maxFileBytes
    }
}

extension VirtualFileSystem {
    /// Every namespace with its counters, by name.
    public func namespaces() throws -> [NamespaceInfo] {
        try read("namespaces", "/") { db in
            try Row.fetchAll(db, sql: "SELECT name, \(NamespaceRow.columns) FROM vfs_namespaces ORDER BY name").map { row in
                Self.info(name: row[0], NamespaceRow(row: row, offset: 1))
            }
        }
    }

    /// The counters and quotas of one namespace, or `ENOENT`.
    /// - parameter operation: the operation named in an error.
    public func namespaceInfo(_ name: String, operation: String = "namespaces") throws -> NamespaceInfo {
        let name = try NamespaceName.validate(name, operation: operation)
        return try read(operation, name) { db in
            Self.info(name: name, try EntryStore.requireNamespace(db, name, operation, name))
        }
    }

    static func info(name: String, _ row: NamespaceRow) -> NamespaceInfo {
        NamespaceInfo(name: name, entries: row.entries, bytes: row.bytes, forkedFrom: row.forkedFrom, createdAtNanoseconds: row.createdAt,
                      maxBytes: row.maxBytes, maxEntries: row.maxEntries, maxFileBytes: row.maxFileBytes)
    }

    /// Creates an empty namespace; `EEXIST` if it exists.
    @discardableResult
    public func createNamespace(_ name: String) throws -> NamespaceInfo {
        let name = try NamespaceName.validate(name, operation: "namespaces create")
        return try write("namespaces create", name) { db in
            if try EntryStore.namespaceRow(db, name) != nil { throw VFSError(EEXIST, "namespaces create", name) }
            return Self.info(name: name, try EntryStore.ensureNamespace(db, name, now: SystemClock.nanoseconds()))
        }
    }

    /// Removes a namespace and everything in it. Contents still used by other namespaces stay.
    /// The built-in namespaces cannot be removed (`EPERM`).
    public func removeNamespace(_ name: String) throws {
        let name = try NamespaceName.validate(name, operation: "namespaces rm")
        if builtInNamespaces.contains(name) {
            throw VFSError(EPERM, "namespaces rm", name, detail: "built-in namespace; empty it with rm -r instead")
        }
        try write("namespaces rm", name) { db in
            _ = try EntryStore.requireNamespace(db, name, "namespaces rm", name)
            try db.execute(sql: "DELETE FROM vfs_namespaces WHERE name = ?", arguments: [name])
            try EntryStore.logChange(db, name, .root, now: SystemClock.nanoseconds())
        }
    }

    /// Creates `destination` as a copy of `source` without copying any file content: both share
    /// the contents until one side rewrites a file. `EEXIST` if `destination` exists.
    @discardableResult
    public func fork(_ source: String, to destination: String) throws -> NamespaceInfo {
        let source = try NamespaceName.validate(source, operation: "fork")
        let destination = try NamespaceName.validate(destination, operation: "fork")
        return try write("fork", destination) { db in
            let sourceRow = try EntryStore.requireNamespace(db, source, "fork", source)
            if try EntryStore.namespaceRow(db, destination) != nil { throw VFSError(EEXIST, "fork", destination) }
            let now = SystemClock.nanoseconds()
            try db.execute(sql: """
                INSERT INTO vfs_namespaces (name, created_at_ns, updated_at_ns, forked_from, max_entries, max_bytes, max_file_bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [destination, now, sourceRow.updatedAt, source, sourceRow.maxEntries, sourceRow.maxBytes, sourceRow.maxFileBytes])
            try db.execute(sql: """
                INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json)
                SELECT ?, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json
                FROM vfs_entries WHERE namespace = ?
                """, arguments: [destination, source])
            try EntryStore.logChange(db, destination, .root, now: now)
            return Self.info(name: destination, try EntryStore.requireNamespace(db, destination, "fork", destination))
        }
    }

    /// Sets the quotas of a namespace (creating it if needed). Lowering a quota below the current
    /// usage is allowed: later growth fails, deletions still work.
    @discardableResult
    public func setQuota(_ name: String, _ quota: NamespaceQuota) throws -> NamespaceInfo {
        let name = try NamespaceName.validate(name, operation: "quota")
        for value in [quota.maxBytes, quota.maxEntries, quota.maxFileBytes] {
            if let value, value < 0 { throw VFSError(EINVAL, "quota", name, detail: "quotas must not be negative") }
        }
        return try write("quota", name) { db in
            _ = try EntryStore.ensureNamespace(db, name, now: SystemClock.nanoseconds())
            try db.execute(sql: "UPDATE vfs_namespaces SET max_bytes = ?, max_entries = ?, max_file_bytes = ? WHERE name = ?",
                           arguments: [quota.maxBytes, quota.maxEntries, quota.maxFileBytes, name])
            return Self.info(name: name, try EntryStore.requireNamespace(db, name, "quota", name))
        }
    }

    /// Lists the differences between namespaces `first` and `second` (added: only in `second`).
    /// Entries sharing a content are equal without comparing bytes; others compare by SHA-256.
    public func diff(_ first: String, _ second: String) throws -> NamespaceDiff {
        let first = try NamespaceName.validate(first, operation: "diff")
        let second = try NamespaceName.validate(second, operation: "diff")
        return try read("diff", first) { db in
            _ = try EntryStore.requireNamespace(db, first, "diff", first)
            _ = try EntryStore.requireNamespace(db, second, "diff", second)
            let onlyIn = """
                SELECT x.path FROM vfs_entries x WHERE x.namespace = ?
                AND NOT EXISTS (SELECT 1 FROM vfs_entries y WHERE y.namespace = ? AND y.path = x.path) ORDER BY x.path
                """
            let added = try String.fetchAll(db, sql: onlyIn, arguments: [second, first])
            let removed = try String.fetchAll(db, sql: onlyIn, arguments: [first, second])
            let changed = try String.fetchAll(db, sql: """
                SELECT a.path FROM vfs_entries a JOIN vfs_entries b ON b.namespace = ? AND b.path = a.path
                WHERE a.namespace = ? AND (
                  a.kind <> b.kind OR a.mode <> b.mode OR a.size <> b.size OR
                  (a.content_id IS NOT b.content_id AND
                   (SELECT sha256 FROM vfs_contents WHERE id = a.content_id) IS NOT (SELECT sha256 FROM vfs_contents WHERE id = b.content_id)))
                ORDER BY a.path
                """, arguments: [second, first])
            return NamespaceDiff(added: added, removed: removed, changed: changed)
        }
    }

    /// Deletes staged contents left by writers that died mid-upload more than `age` ago.
    /// Returns how many were removed.
    @discardableResult
    public func collectAbandonedUploads(olderThan age: Duration = .seconds(3600)) throws -> Int {
        let cutoff = SystemClock.nanoseconds() - Int64(age.components.seconds) * 1_000_000_000
        let pending = try read("gc", "/") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_contents WHERE staging_since_ns IS NOT NULL AND staging_since_ns < ?", arguments: [cutoff]) ?? 0
        }
        guard pending > 0 else { return 0 }
        return try write("gc", "/") { db in
            try db.execute(sql: "DELETE FROM vfs_contents WHERE staging_since_ns IS NOT NULL AND staging_since_ns < ? AND ref_count = 0", arguments: [cutoff])
            return db.changesCount
        }
    }
}
