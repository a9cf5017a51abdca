import Foundation
import GRDB
import Storage

/// An open file: the content the file had when it was opened.
///
/// Contents are immutable, so every read through a handle sees that one version, even while
/// the file is rewritten. If the version is freed (the file was rewritten or removed and nothing
/// else refers to it), reads fail with `ESTALE` instead of mixing versions.
public struct VFSFileHandle: Sendable, Hashable {
    /// The path the file was opened at.
    public let path: String
    /// The size of the opened version.
    public let size: Int64
    /// The SHA-256 of the opened version, lowercase hex.
    public let sha256: String?
    /// The identity of the opened version: two handles with the same id read the same bytes.
    public let contentID: Int64
    /// The file's attributes when it was opened (without the hash, which is ``sha256``).
    public let attributes: VFSEntry
    let chunkSize: Int64
    let inline: Data?

    /// Whether the handle carries the bytes of its version (a small file stored inline): its
    /// reads then touch no database.
    public var isInline: Bool { inline != nil }
}

extension VFSNamespace {
    /// The entry at `path` without its hash: one indexed lookup, for `getattr`-style callers.
    public func attributes(_ path: String) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "stat")
        if let found = try lookUp(VFSQuery.entry, path, "stat", { row in EntryRow(raw: row, path: path.string, from: 1).entry() }) { return found }
        return try fileSystem.readOnce("stat", path.string) { db in
            if path.isRoot { return try stat(db, path, "stat") }
            return try EntryStore.require(db, name, path, "stat").entry()
        }
    }

    /// Opens the file at `path` for reading.
    public func openFile(_ path: String) throws -> VFSFileHandle {
        let path = try VFSPath(path, operation: "open")
        return try fileSystem.readOnce("open", path.string) { db in
            if path.isRoot { throw VFSError(EISDIR, "open", path.string) }
            // The entry and its content in one statement.
            let handle = try db.firstRow(VFSQuery.openFile, .text(name), .text(path.string)) { row in
                let entry = EntryRow(raw: row, path: path.string, from: 1)
                guard let contentID = entry.contentID, !entry.isDirectory else { throw VFSError(EISDIR, "open", path.string) }
                guard let size = row.optionalInt64(8), let chunkSize = row.optionalInt64(9) else {
                    throw ContentStore.missing(contentID, "open", path.string)
                }
                let content = try ContentRef(id: contentID, size: size, chunkSize: chunkSize, sha256Bytes: row.data(10), inline: row.data(11),
                                             inlineChecksum: row.optionalInt64(12), verify: limits.verifiesChecksums, "open", path.string)
                return VFSFileHandle(path: path.string, size: size, sha256: content.sha256, contentID: contentID,
                                     attributes: entry.entry(), chunkSize: chunkSize, inline: content.inline)
            }
            guard let handle else { throw try EntryStore.missing(db, name, path, "open") }
            return handle
        }
    }
}

extension VirtualFileSystem {
    /// Opens the very version `entry` was read with (its ``VFSEntry/contentID``), whatever the
    /// file at its path holds now: what a FUSE inode born with that version reads. Fails with
    /// `ESTALE` when that version was freed (rewritten or removed, and past the grace period of
    /// ``VFSLimits/releasedContentGrace``), `EISDIR` for a directory.
    public func openVersion(of entry: VFSEntry) throws -> VFSFileHandle {
        guard let contentID = entry.contentID, !entry.isDirectory else { throw VFSError(EISDIR, "open", entry.path) }
        return try readOnce("open", entry.path) { db in
            guard let content = try ContentStore.find(db, contentID, verify: limits.verifiesChecksums, "open", entry.path) else {
                throw VFSError(ESTALE, "open", entry.path, detail: "the version was freed: the file was rewritten or removed, and the grace period passed")
            }
            var attributes = entry
            attributes.sha256 = nil
            return VFSFileHandle(path: entry.path, size: content.size, sha256: content.sha256, contentID: contentID,
                                 attributes: attributes, chunkSize: content.chunkSize, inline: content.inline)
        }
    }

    /// Copies bytes of the handle's version from `offset` into `buffer`, reading only the chunks
    /// of that range, and returns how many were copied (fewer at the end of the file).
    public func read(_ handle: VFSFileHandle, offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0 else { throw VFSError(EINVAL, "read", handle.path, detail: "negative offset") }
        let end = offset >= handle.size ? offset : offset + min(Int64(buffer.count), handle.size - offset)
        guard offset < end else { return 0 }
        if let inline = handle.inline {
            inline.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<Int(end)]))
            }
            return Int(end - offset)
        }
        // One statement: the chunks of an immutable content need no snapshot.
        return try readOnce("read", handle.path) { db in
            var copied = 0
            try ContentStore.forEachSlice(db, contentID: handle.contentID, chunkSize: handle.chunkSize, from: offset, to: end,
                                          verify: limits.verifiesChecksums, "read", handle.path) { slice in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<copied + slice.count]).copyMemory(from: slice)
                copied += slice.count
            }
            return copied
        }
    }
}
