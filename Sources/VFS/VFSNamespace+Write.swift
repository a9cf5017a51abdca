import Crypto
import Foundation
import GRDB
import Storage

extension VFSNamespace {
    /// Creates or replaces the file at `path` with `contents`, in one transaction.
    ///
    /// Missing parents are created unless `options.createParents` is off. Fails with `EISDIR`
    /// on a directory, `ENOTDIR` when a parent is a file, `EFBIG` over the file size limit and
    /// `EDQUOT` over the namespace quota; a failure changes nothing.
    @discardableResult
    public func writeFile(_ path: String, contents: Data, options: WriteOptions = .init()) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "write")
        let metadata = try options.validatedMetadata("write", path.string)
        return try contents.withUnsafeBytes { bytes in try writeBytes(path, bytes, options: options, metadata: metadata) }
    }

    /// Writes a complete content from memory in one transaction.
    private func writeBytes(_ path: VFSPath, _ bytes: UnsafeRawBufferPointer, options: WriteOptions, metadata: String?) throws -> VFSEntry {
        try fileSystem.write("write", path.string) { db in
            let now = SystemClock.nanoseconds()
            let before = try EntryStore.ensureNamespace(db, name, now: now)
            let maxFile = EntryStore.maxFileBytes(before, limits)
            guard Int64(bytes.count) <= maxFile else {
                throw VFSError(EFBIG, "write", path.string, detail: "\(bytes.count) bytes is over the file size limit of \(maxFile)")
            }
            let content = try ContentStore.insert(db, bytes, limits: limits)
            let row = try link(db, path, contentID: content.id, size: Int64(bytes.count), options: options, metadata: metadata, now: now, before: before, "write")
            return row.entry(hash: VFSEntry.Hash(bytes: content.sha256))
        }
    }

    /// Creates or replaces the file at `path` with the bytes `source` produces, streaming them in
    /// bounded memory.
    ///
    /// `source` fills the buffer it is given and returns the number of bytes written, 0 at the end.
    /// Content up to ``VFSLimits/stagingBatchBytes`` is written in one transaction. Larger
    /// content is staged in batches, each in its own short transaction that readers never see, and
    /// published by one final transaction: the file appears whole or not at all, and other writers
    /// are not locked out for the length of the upload. A failure or crash leaves the old file.
    @discardableResult
    public func writeFile(_ path: String, options: WriteOptions = .init(), from source: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "write")
        let metadata = try options.validatedMetadata("write", path.string)
        if path.isRoot { throw VFSError(EISDIR, "write", path.string) }
        var buffer = [UInt8](repeating: 0, count: limits.stagingBatchBytes)
        var count = try Self.fill(&buffer, source)
        if count < buffer.count {
            return try buffer.withUnsafeBytes { raw in
                try writeBytes(path, UnsafeRawBufferPointer(rebasing: raw[0..<count]), options: options, metadata: metadata)
            }
        }
        // Stage: check the target first so an obviously doomed upload fails before any byte is
        // stored, and clear what uploads killed long ago left behind.
        let now = SystemClock.nanoseconds()
        let (namespaceRow, replacedBytes) = try fileSystem.read("write", path.string) { db in
            (try EntryStore.namespaceRow(db, name), try precheckTarget(db, path, options, "write"))
        }
        _ = try? fileSystem.collectAbandonedUploads()
        let maxFile = namespaceRow.map { EntryStore.maxFileBytes($0, limits) } ?? limits.maxFileBytes
        let maxBytes = namespaceRow?.maxBytes ?? limits.maxNamespaceBytes
        let usedBytes = (namespaceRow?.bytes ?? 0) - replacedBytes
        var hasher = SHA256()
        var total: Int64 = 0
        var contentID: Int64?
        do {
            while count > 0 {
                total += Int64(count)
                if total > maxFile {
                    throw VFSError(EFBIG, "write", path.string, detail: "content is over the file size limit of \(maxFile) bytes")
                }
                if let maxBytes, usedBytes + total > maxBytes {
                    throw VFSError(EDQUOT, "write", path.string, detail: "namespace '\(name)' would exceed its quota of \(maxBytes) bytes")
                }
                let firstIndex = (total - Int64(count)) / Int64(limits.chunkSize)
                try buffer.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    hasher.update(bufferPointer: bytes)
                    contentID = try fileSystem.write("write", path.string) { db in
                        let id: Int64
                        if let contentID {
                            id = contentID
                            try ContentStore.touchStaging(db, id, now: SystemClock.nanoseconds(), "write", path.string)
                        } else {
                            id = try ContentStore.beginStaging(db, chunkSize: limits.chunkSize, now: now)
                        }
                        try ContentStore.insertChunks(db, id, bytes, firstIndex: firstIndex, chunkSize: limits.chunkSize)
                        return id
                    }
                    try fileSystem.checkpoint("write", path.string)
                }
                // `fill` returns a short batch only at the end of the source: never read past it
                // (a growing file would otherwise misalign the chunks).
                count = count < buffer.count ? 0 : try Self.fill(&buffer, source)
            }
            guard let id = contentID else { throw VFSError(EIO, "write", path.string) }
            let digest = Data(hasher.finalize())
            let size = total
            let published = try fileSystem.write("write", path.string) { db in
                let now = SystemClock.nanoseconds()
                let before = try EntryStore.ensureNamespace(db, name, now: now)
                try ContentStore.finishStaging(db, id, size: size, sha256: digest, "write", path.string)
                let row = try link(db, path, contentID: id, size: size, options: options, metadata: metadata, now: now, before: before, "write")
                return row.entry(hash: VFSEntry.Hash(bytes: digest))
            }
            // Committed: a checkpoint that finds no room leaves the data safe in the WAL.
            try? fileSystem.checkpoint("write", path.string)
            return published
        } catch {
            if let id = contentID {
                _ = try? fileSystem.freeingSpace { try fileSystem.write("discard", path.string) { db in try ContentStore.discard(db, id) } }
                if (error as? VFSError)?.errno == ENOSPC { fileSystem.recoverFromFullDisk() }
            }
            throw error
        }
    }

    /// Reads from `source` until `buffer` is full or the source ends.
    private static func fill(_ buffer: inout [UInt8], _ source: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        var count = 0
        try buffer.withUnsafeMutableBytes { raw in
            while count < raw.count {
                let read = try source(UnsafeMutableRawBufferPointer(rebasing: raw[count...]))
                if read <= 0 { break }
                count += read
            }
        }
        return count
    }

    /// Fails early when a file cannot be written at `path`; returns the size of the file it
    /// would replace (0 if none).
    private func precheckTarget(_ db: Database, _ path: VFSPath, _ options: WriteOptions, _ operation: String) throws -> Int64 {
        if path.isRoot { throw VFSError(EISDIR, operation, path.string) }
        guard let existing = try EntryStore.entry(db, name, path) else { return 0 }
        if existing.isDirectory { throw VFSError(EISDIR, operation, path.string) }
        if options.exclusive { throw VFSError(EEXIST, operation, path.string) }
        return existing.size
    }

    /// Points the entry at `path` to a complete content, creating or replacing the file.
    /// `inBatch` is set by callers that check the quota and log the change once for many files
    /// (import).
    func link(_ db: Database, _ path: VFSPath, contentID: Int64, size: Int64, options: WriteOptions, metadata: String?, now: Int64, before: NamespaceRow, inBatch: Bool = false, _ operation: String) throws -> EntryRow {
        if path.isRoot { throw VFSError(EISDIR, operation, path.string) }
        let mtime = options.mtimeNanoseconds ?? now
        var row: EntryRow
        var changed = path
        if let existing = try EntryStore.entry(db, name, path) {
            if existing.isDirectory { throw VFSError(EISDIR, operation, path.string) }
            if options.exclusive { throw VFSError(EEXIST, operation, path.string) }
            row = existing
            row.mode = (options.mode ?? existing.mode) & 0o7777
            row.metadataJSON = metadata ?? existing.metadataJSON
            try db.cachedStatement(sql: """
                UPDATE vfs_entries SET content_id = ?, size = ?, mtime_ns = ?, ctime_ns = ?, mode = ?, metadata_json = ?
                WHERE namespace = ? AND path = ?
                """).execute(arguments: [contentID, size, mtime, now, Int64(row.mode), row.metadataJSON, name, path.string])
        } else {
            // A batch (import) creates parents before children and sets directory times at the end.
            if !inBatch {
                changed = try EntryStore.ensureDirectory(db, name, path.parent, create: options.createParents, now: now, operation, path) ?? path
            }
            row = EntryRow(path: path.string, isDirectory: false, mode: (options.mode ?? 0o644) & 0o7777, size: size,
                           mtime: mtime, ctime: now, contentID: contentID, metadataJSON: metadata ?? "{}")
            try EntryStore.insert(db, name, path, isDirectory: false, mode: row.mode, size: size,
                                  mtime: mtime, ctime: now, contentID: contentID, metadataJSON: row.metadataJSON)
            if !inBatch { try EntryStore.touch(db, name, path.parent, now: now) }
        }
        row.size = size
        row.mtime = mtime
        row.ctime = now
        row.contentID = contentID
        if !inBatch {
            try EntryStore.checkQuota(db, name, before: before, limits: limits, operation, path.string)
            try EntryStore.logChange(db, name, changed, now: now)
        }
        return row
    }

    /// Creates the directory at `path`. With `intermediates`, creates missing parents and
    /// accepts an existing directory, like `mkdir -p`; without, fails with `EEXIST` or `ENOENT`.
    @discardableResult
    public func makeDirectory(_ path: String, intermediates: Bool = false, mode: UInt32 = 0o755) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "mkdir")
        return try fileSystem.write("mkdir", path.string) { db in
            let now = SystemClock.nanoseconds()
            let before = try EntryStore.ensureNamespace(db, name, now: now)
            if path.isRoot {
                if intermediates { return try stat(db, path, "mkdir") }
                throw VFSError(EEXIST, "mkdir", path.string)
            }
            if let existing = try EntryStore.entry(db, name, path) {
                if existing.isDirectory && intermediates { return existing.entry() }
                throw VFSError(EEXIST, "mkdir", path.string)
            }
            let created = try EntryStore.ensureDirectory(db, name, path.parent, create: intermediates, now: now, "mkdir", path)
            try EntryStore.insert(db, name, path, isDirectory: true, mode: mode & 0o7777, size: 0, mtime: now, ctime: now, contentID: nil, metadataJSON: "{}")
            try EntryStore.touch(db, name, path.parent, now: now)
            try EntryStore.checkQuota(db, name, before: before, limits: limits, "mkdir", path.string)
            try EntryStore.logChange(db, name, created ?? path, now: now)
            return try EntryStore.require(db, name, path, "mkdir").entry()
        }
    }
}
