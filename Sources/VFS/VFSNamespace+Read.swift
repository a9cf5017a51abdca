import Foundation
import GRDB
import Storage

extension VFSNamespace {
    /// The entry at `path`, with its SHA-256.
    public func stat(_ path: String) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "stat")
        // The found entry through SQLite's C API alone; the root, a missing path (whose errno
        // takes more statements) and a call inside a write go the usual way.
        var columns = EntryColumns()
        if try lookUp(VFSQuery.stat, path, "stat", { row in columns.readStat(row) }) != nil { return columns.entry(path: (consume path).string) }
        return try fileSystem.readOnce("stat", path.string) { db in try stat(db, path, "stat") }
    }

    /// The first row of `query` for this namespace and `path` (not the root), read through
    /// SQLite's C API alone (``VirtualFileSystem/lookup(_:_:_:_:_:_:)``): `nil` for the root,
    /// when there is no row, or when that path cannot serve; the caller then reads the usual way.
    func lookUp<T>(_ query: LookupQuery, _ path: VFSPath, _ operation: String, _ body: (RawRow) throws -> T) throws -> T? {
        if path.isRoot { return nil }
        return try fileSystem.lookup(operation, path.string, query, name, path.string, body)
    }

    /// The entry and its hash in one statement.
    func stat(_ db: Database, _ path: VFSPath, _ operation: String) throws -> VFSEntry {
        if path.isRoot {
            let row = try EntryStore.requireNamespace(db, name, operation, path.string)
            return VFSEntry(path: "/", kind: .directory, mode: 0o755, size: 0, mtimeNanoseconds: row.updatedAt,
                            ctimeNanoseconds: row.updatedAt, sha256: nil, metadataJSON: "{}")
        }
        var columns = EntryColumns()
        guard try db.firstRow(VFSQuery.stat, .text(name), .text(path.string), body: { row in columns.readStat(row) }) != nil else {
            throw try EntryStore.missing(db, name, path, operation)
        }
        return columns.entry(path: path.string)
    }

    /// Whether an entry exists at `path`.
    public func exists(_ path: String) throws -> Bool {
        let path = try VFSPath(path, operation: "stat")
        return try fileSystem.readOnce("stat", path.string) { db in
            path.isRoot ? try EntryStore.namespaceRow(db, name) != nil : try EntryStore.entry(db, name, path) != nil
        }
    }

    /// The children of the directory at `path` in name order, or the file itself when `path` is a
    /// file. Hashes are not loaded (`sha256` is `nil`).
    public func list(_ path: String = "/") throws -> [VFSEntry] {
        let path = try VFSPath(path, operation: "ls")
        // A non-empty result is one statement (only a directory has children), through SQLite's
        // C API alone when it can; an empty one needs a second look to tell an empty directory
        // from a file or a missing path.
        var children: [VFSEntry] = []
        let served = try fileSystem.lookupEach("ls", path.string, VFSQuery.children, name, path.string) { row in
            children.append(EntryRow(raw: row).entry())
        }
        if !served { children = try fileSystem.readOnce("ls", path.string) { db in try self.children(db, path) } }
        if !children.isEmpty { return children }
        return try fileSystem.read("ls", path.string) { db in try list(db, path, "ls") }
    }

    func list(_ db: Database, _ path: VFSPath, _ operation: String) throws -> [VFSEntry] {
        if path.isRoot {
            _ = try EntryStore.requireNamespace(db, name, operation, path.string)
        } else {
            let row = try EntryStore.require(db, name, path, operation)
            if !row.isDirectory { return [row.entry()] }
        }
        return try children(db, path)
    }

    /// The direct children of a directory: one range scan of the covering listing index.
    func children(_ db: Database, _ directory: VFSPath) throws -> [VFSEntry] {
        var result: [VFSEntry] = []
        try db.forEachRow(VFSQuery.children, .text(name), .text(directory.string)) { row in
            result.append(EntryRow(raw: row).entry())
        }
        return result
    }

    /// Calls `body` with the entry at `path` and then every entry beneath it, in path order
    /// (byte order of the canonical paths), from one consistent snapshot.
    public func walk(_ path: String = "/", _ body: (VFSEntry) throws -> Void) throws {
        let path = try VFSPath(path, operation: "find")
        try fileSystem.read("find", path.string) { db in
            let top = try stat(db, path, "find")
            try body(top)
            guard top.isDirectory else { return }
            try walkDescendants(db, path, body)
        }
    }

    /// Every entry strictly beneath `directory`, by a range scan of the primary key.
    func walkDescendants(_ db: Database, _ directory: VFSPath, _ body: (VFSEntry) throws -> Void) throws {
        let range = directory.descendantRange
        try db.forEachRow(VFSQuery.descendants, .text(name), .text(range.lower), .text(range.upper)) { row in
            try body(EntryRow(raw: row).entry())
        }
    }

    /// The total size and counts of the subtree at `path`.
    public func diskUsage(_ path: String = "/") throws -> DiskUsage {
        let path = try VFSPath(path, operation: "du")
        return try fileSystem.read("du", path.string) { db in
            let top = try stat(db, path, "du")
            guard top.isDirectory else { return DiskUsage(path: path.string, bytes: top.size, files: 1, directories: 0) }
            let range = path.descendantRange
            let row = try Row.fetchOne(db, sql: """
                SELECT coalesce(sum(size), 0), coalesce(sum(kind = 'file'), 0), coalesce(sum(kind = 'directory'), 0)
                FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ?
                """, arguments: [name, range.lower, range.upper])
            return DiskUsage(path: path.string, bytes: row?[0] ?? 0, files: row?[1] ?? 0, directories: (row?[2] ?? 0) + 1)
        }
    }

    /// The whole content of the file at `path`.
    public func readFile(_ path: String) throws -> Data {
        let path = try VFSPath(path, operation: "cat")
        // Small files are one statement; larger ones read their chunks in one snapshot.
        let inline = try lookUp(VFSQuery.inlineContent, path, "cat", { row in try inlineContent(row, path, "cat") })
            ?? fileSystem.readOnce("cat", path.string) { db in try inlineContent(db, path, "cat") }
        if let inline { return inline }
        return try fileSystem.read("cat", path.string) { db in
            let content = try openContent(db, path, "cat")
            if let inline = content.inline { return inline }
            var data = Data(capacity: Int(content.size))
            try ContentStore.forEachChunk(db, content, from: 0, to: content.size, "cat", path.string) { data.append($0) }
            return data
        }
    }

    /// Up to `length` bytes of the file at `path` from `offset`, reading only the chunks of that
    /// range. Returns fewer bytes at the end of the file and none past it.
    public func read(_ path: String, offset: Int64, length: Int) throws -> Data {
        let path = try VFSPath(path, operation: "read")
        guard offset >= 0, length >= 0 else { throw VFSError(EINVAL, "read", path.string, detail: "negative offset or length") }
        return try fileSystem.read("read", path.string) { db in
            let content = try openContent(db, path, "read")
            let end = offset >= content.size ? offset : offset + min(Int64(length), content.size - offset)
            guard offset < end else { return Data() }
            if let inline = content.inline { return inline.subdata(in: Int(offset)..<Int(end)) }
            var data = Data(capacity: Int(end - offset))
            try ContentStore.forEachChunk(db, content, from: offset, to: end, "read", path.string) { data.append($0) }
            return data
        }
    }

    /// Streams the file at `path` to `body` in chunks, from one consistent snapshot, in bounded
    /// memory. Returns the entry that was read.
    @discardableResult
    public func streamFile(_ path: String, _ body: (Data) throws -> Void) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "cat")
        return try fileSystem.read("cat", path.string) { db in
            let row = try EntryStore.require(db, name, path, "cat")
            let content = try openContent(db, path, "cat", row: row)
            if let inline = content.inline {
                try body(inline)
            } else {
                try ContentStore.forEachChunk(db, content, from: 0, to: content.size, "cat", path.string, body)
            }
            return row.entry(hash: content.hash)
        }
    }

    /// The checked bytes of the file at `path` when its content is stored inline, `nil` when it
    /// is chunked: a small file's read in one statement, copying its bytes once.
    func inlineContent(_ db: Database, _ path: VFSPath, _ operation: String) throws -> Data? {
        if path.isRoot { return try openContent(db, path, operation).inline }
        let found = try db.firstRow(VFSQuery.inlineContent, .text(name), .text(path.string)) { row in
            try inlineContent(row, path, operation)
        }
        guard let found else { throw try EntryStore.missing(db, name, path, operation) }
        return found
    }

    /// The checked inline bytes of a row of ``VFSQuery/inlineContent``, `nil` when chunked.
    private func inlineContent(_ row: RawRow, _ path: VFSPath, _ operation: String) throws -> Data? {
        guard let contentID = row.optionalInt64(1), row.terminatedTextEquals(0, "file") else { throw VFSError(EISDIR, operation, path.string) }
        guard let size = row.optionalInt64(2) else { throw ContentStore.missing(contentID, operation, path.string) }
        return try row.withBytes(3) { bytes -> Data? in
            guard let bytes else { return nil }
            if limits.verifiesChecksums {
                try ContentRef.verifyInline(bytes, checksum: row.optionalInt64(4), id: contentID, size: size, operation, path.string)
            }
            return Data(bytes)
        }
    }

    func openContent(_ db: Database, _ path: VFSPath, _ operation: String, row: EntryRow? = nil) throws -> ContentRef {
        if path.isRoot {
            _ = try EntryStore.requireNamespace(db, name, operation, path.string)
            throw VFSError(EISDIR, operation, path.string)
        }
        if let row {
            guard let contentID = row.contentID, !row.isDirectory else { throw VFSError(EISDIR, operation, path.string) }
            return try ContentStore.open(db, contentID, verify: limits.verifiesChecksums, operation, path.string)
        }
        // The hot path of a read: the entry and its content row in one indexed lookup.
        let found = try db.firstRow(VFSQuery.content, .text(name), .text(path.string)) { row in
            guard let contentID = row.optionalInt64(1), row.terminatedTextEquals(0, "file") else { throw VFSError(EISDIR, operation, path.string) }
            guard let size = row.optionalInt64(2), let chunkSize = row.optionalInt64(3) else {
                throw ContentStore.missing(contentID, operation, path.string)
            }
            return try ContentRef(id: contentID, size: size, chunkSize: chunkSize, sha256Bytes: row.data(4), inline: row.data(5),
                                  inlineChecksum: row.optionalInt64(6), verify: limits.verifiesChecksums, operation, path.string)
        }
        guard let found else { throw try EntryStore.missing(db, name, path, operation) }
        return found
    }
}
