import Foundation
import GRDB

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
    let chunkSize: Int64
    let inline: Data?
}

extension VFSNamespace {
    /// The entry at `path` without its hash: one indexed lookup, for `getattr`-style callers.
    public func attributes(_ path: String) throws -> VFSEntry {
        let path = try VFSPath(path, operation: "stat")
        return try fileSystem.readOnce("stat", path.string) { db in
            if path.isRoot { return try stat(db, path, "stat") }
            return try EntryStore.require(db, name, path, "stat").entry()
        }
    }

    /// Opens the file at `path` for reading.
    public func openFile(_ path: String) throws -> VFSFileHandle {
        let path = try VFSPath(path, operation: "open")
        return try fileSystem.readOnce("open", path.string) { db in
            let content = try openContent(db, path, "open")
            return VFSFileHandle(path: path.string, size: content.size, sha256: content.sha256, contentID: content.id,
                                 chunkSize: content.chunkSize, inline: content.inline)
        }
    }
}

extension VirtualFileSystem {
    /// Copies bytes of the handle's version from `offset` into `buffer`, reading only the chunks
    /// of that range, and returns how many were copied (fewer at the end of the file).
    public func read(_ handle: VFSFileHandle, offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0 else { throw VFSError(EINVAL, "read", handle.path, detail: "negative offset") }
        let end = min(handle.size, offset + Int64(buffer.count))
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
            try ContentStore.forEachSlice(db, contentID: handle.contentID, chunkSize: handle.chunkSize, from: offset, to: end, "read", handle.path) { slice in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<copied + slice.count]).copyMemory(from: slice)
                copied += slice.count
            }
            return copied
        }
    }
}
