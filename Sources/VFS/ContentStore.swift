import Crypto
import Foundation
import GRDB
import Storage

/// An immutable content row, opened for reading.
struct ContentRef {
    var id: Int64
    var size: Int64
    var chunkSize: Int64
    var sha256Bytes: Data?
    /// The whole content, when stored inline, verified against its checksum.
    var inline: Data?

    /// Whether its chunks are checked when read (``VFSLimits/verifiesChecksums``).
    var verify: Bool

    /// The hash in lowercase hex, computed only when asked for.
    var sha256: String? { sha256Bytes?.lowercaseHex }

    /// The hash as an entry holds it.
    var hash: VFSEntry.Hash? { sha256Bytes.map { VFSEntry.Hash(bytes: $0) } }

    /// A content row as read; inline bytes are checked against `inlineChecksum` (`EIO` on a
    /// mismatch), so no caller ever holds unverified bytes.
    init(id: Int64, size: Int64, chunkSize: Int64, sha256Bytes: Data?, inline: Data?, inlineChecksum: Int64?, verify: Bool,
         _ operation: String, _ path: String) throws {
        if let inline, verify {
            try inline.withUnsafeBytes { try Self.verifyInline($0, checksum: inlineChecksum, id: id, size: size, operation, path) }
        }
        self.id = id
        self.size = size
        self.chunkSize = chunkSize
        self.sha256Bytes = sha256Bytes
        self.inline = inline
        self.verify = verify
    }

    /// Checks inline bytes against their checksum and size: `EIO` on a mismatch.
    static func verifyInline(_ bytes: UnsafeRawBufferPointer, checksum: Int64?, id: Int64, size: Int64, _ operation: String, _ path: String) throws {
        guard let checksum, ContentChecksum.of(bytes) == checksum, Int64(bytes.count) == size else {
            throw ContentStore.damaged(operation, path, checksum == nil
                ? "content \(id) has no checksum"
                : "content \(id) (\(bytes.count) bytes stored inline) does not match its checksum")
        }
    }
}

/// Reads and writes `vfs_contents` and `vfs_chunks`.
///
/// Contents are immutable: a write creates a new content row and re-points the entry, and the
/// entry triggers mark a content released when its last reference goes; it is deleted once the
/// grace period has passed (``ReleasedContentCollection``). A reader holding a content id
/// therefore reads its version whole for that long, then `ESTALE`: never two versions mixed.
enum ContentStore {
    static func open(_ db: Database, _ id: Int64, verify: Bool, _ operation: String, _ path: String) throws -> ContentRef {
        guard let content = try find(db, id, verify: verify, operation, path) else { throw missing(id, operation, path) }
        return content
    }

    /// The content row `id`, or `nil` when there is none (freed, or never written).
    static func find(_ db: Database, _ id: Int64, verify: Bool, _ operation: String, _ path: String) throws -> ContentRef? {
        try db.firstRow(VFSQuery.contentByID, .integer(id)) { row in
            try ContentRef(id: id, size: row.int64(0), chunkSize: row.int64(1), sha256Bytes: row.data(2), inline: row.data(3),
                           inlineChecksum: row.optionalInt64(4), verify: verify, operation, path)
        }
    }

    /// `EIO` for damaged stored bytes, naming what is damaged.
    static func damaged(_ operation: String, _ path: String, _ what: String) -> VFSError {
        VFSError(EIO, operation, path, detail: "\(what): the stored bytes are damaged", isDamage: true)
    }

    /// `EIO` for an entry whose content row is gone.
    static func missing(_ id: Int64, _ operation: String, _ path: String) -> VFSError {
        damaged(operation, path, "content \(id) is missing")
    }

    /// Calls `body` with the bytes of `[start, end)`, chunk by chunk, reading only those chunks.
    static func forEachChunk(_ db: Database, _ content: ContentRef, from start: Int64, to end: Int64, _ operation: String, _ path: String, _ body: (Data) throws -> Void) throws {
        try forEachSlice(db, contentID: content.id, chunkSize: content.chunkSize, from: start, to: end, verify: content.verify, operation, path) {
            try body(Data($0))
        }
    }

    /// Calls `body` with the bytes of `[start, end)` of a chunked content, borrowed from SQLite
    /// without a copy, in one statement that reads only the chunks of that range.
    ///
    /// Every chunk is checked against its checksum, whole, before any of its bytes reach `body`:
    /// a mismatch is `EIO` naming the chunk. A missing chunk is `ESTALE` when the whole content
    /// is gone (freed since it was opened) and `EIO` otherwise (damage).
    static func forEachSlice(_ db: Database, contentID: Int64, chunkSize: Int64, from start: Int64, to end: Int64, verify: Bool = true,
                             _ operation: String, _ path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard start < end else { return }
        let first = start / chunkSize
        let last = (end - 1) / chunkSize
        var expected = first
        var gap = false
        try db.forEachRow(VFSQuery.chunks, .integer(contentID), .integer(first), .integer(last)) { row in
            let index = row.int64(0)
            guard !gap, index == expected else {
                gap = true
                return
            }
            let chunkStart = index * chunkSize
            let lower = Int(max(start, chunkStart) - chunkStart)
            let upper = Int(min(end, chunkStart + chunkSize) - chunkStart)
            let checksum = row.optionalInt64(2)
            let problem: String? = try row.withBytes(1) { raw in
                guard let raw, raw.count >= upper else { return "is short" }
                if verify {
                    guard let checksum else { return "has no checksum" }
                    guard ContentChecksum.of(raw) == checksum else { return "does not match its checksum" }
                }
                try body(UnsafeRawBufferPointer(rebasing: raw[lower..<upper]))
                return nil
            }
            if let problem {
                throw damaged(operation, path, "chunk \(index) (bytes \(chunkStart)-\(chunkStart + chunkSize - 1)) of content \(contentID) \(problem)")
            }
            expected += 1
        }
        guard expected == last + 1 else {
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM vfs_contents WHERE id = ?", arguments: [contentID]) ?? false
            if !exists { throw VFSError(ESTALE, operation, path, detail: "the version opened was freed: the file was rewritten or removed, and the grace period passed") }
            throw damaged(operation, path, "chunk \(expected) of content \(contentID) is missing")
        }
    }

    /// Inserts a complete content from memory and returns its id and hash.
    static func insert(_ db: Database, _ bytes: UnsafeRawBufferPointer, limits: VFSLimits) throws -> (id: Int64, sha256: Data) {
        let digest = Data(SHA256.hash(data: bytes))
        if bytes.count <= limits.inlineLimit {
            let statement = try db.cachedStatement(sql: "INSERT INTO vfs_contents (size, sha256, chunk_size, inline_data, inline_checksum) VALUES (?, ?, ?, ?, ?)")
            try statement.execute(arguments: [Int64(bytes.count), digest, Int64(limits.chunkSize), Data(bytes), ContentChecksum.of(bytes)])
            return (db.lastInsertedRowID, digest)
        }
        let statement = try db.cachedStatement(sql: "INSERT INTO vfs_contents (size, sha256, chunk_size) VALUES (?, ?, ?)")
        try statement.execute(arguments: [Int64(bytes.count), digest, Int64(limits.chunkSize)])
        let id = db.lastInsertedRowID
        try insertChunks(db, id, bytes, firstIndex: 0, chunkSize: limits.chunkSize)
        return (id, digest)
    }

    /// Inserts `bytes` as consecutive chunks starting at `firstIndex`.
    static func insertChunks(_ db: Database, _ id: Int64, _ bytes: UnsafeRawBufferPointer, firstIndex: Int64, chunkSize: Int) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO vfs_chunks (content_id, chunk_index, data, checksum) VALUES (?, ?, ?, ?)")
        var offset = 0
        var index = firstIndex
        while offset < bytes.count {
            let upper = min(offset + chunkSize, bytes.count)
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<upper])
            try statement.execute(arguments: [id, index, Data(chunk), ContentChecksum.of(chunk)])
            offset = upper
            index += 1
        }
    }

    /// Starts a staged content: a row invisible to readers until published.
    static func beginStaging(_ db: Database, chunkSize: Int, now: Int64) throws -> Int64 {
        try db.execute(sql: "INSERT INTO vfs_contents (size, sha256, chunk_size, staging_since_ns, staging_owner) VALUES (0, NULL, ?, ?, ?)",
                       arguments: [Int64(chunkSize), now, StagingOwner.current])
        return db.lastInsertedRowID
    }

    /// Keeps a staged content alive: abandoned uploads are those idle for an hour, not those
    /// started an hour ago. Fails with `ESTALE` if it was already collected.
    static func touchStaging(_ db: Database, _ id: Int64, now: Int64, _ operation: String, _ path: String) throws {
        try db.execute(sql: "UPDATE vfs_contents SET staging_since_ns = ? WHERE id = ? AND staging_since_ns IS NOT NULL", arguments: [now, id])
        guard db.changesCount == 1 else { throw expired(operation, path) }
    }

    /// Marks a staged content complete; it is then owned by the entry that refers to it. Fails
    /// with `ESTALE`, changing nothing, if the staged content was collected meanwhile.
    static func finishStaging(_ db: Database, _ id: Int64, size: Int64, sha256: Data, _ operation: String, _ path: String) throws {
        try db.execute(sql: "UPDATE vfs_contents SET size = ?, sha256 = ?, staging_since_ns = NULL, staging_owner = NULL WHERE id = ? AND staging_since_ns IS NOT NULL",
                       arguments: [size, sha256, id])
        guard db.changesCount == 1 else { throw expired(operation, path) }
    }

    private static func expired(_ operation: String, _ path: String) -> VFSError {
        VFSError(ESTALE, operation, path, detail: "the upload was idle for over an hour and its staged content was collected; write it again")
    }

    /// Deletes a staged content and its chunks.
    static func discard(_ db: Database, _ id: Int64) throws {
        try db.execute(sql: "DELETE FROM vfs_contents WHERE id = ? AND ref_count = 0", arguments: [id])
    }
}
