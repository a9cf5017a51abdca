import Crypto
import Foundation
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// Gives a git index stored in the VFS the stat data a mount reports for its files, so that
/// `git status` on a mount hashes no file.
///
/// git keeps, per tracked file, the `stat` it saw when it last hashed the file (ctime, mtime,
/// inode, uid, gid, size); a file whose `stat` differs is read and hashed again, and git would
/// then save the new `stat` in the index, which it cannot on a read-only mount. An index
/// imported from the host holds the host's inode numbers and change times, so without this
/// every `git status` on the mount hashes every file (26x the native time, measured on a
/// repository of 1000 files). For each regular-file entry whose stored content still hashes to
/// the entry's blob id, the ctime, mtime, inode (``MountInode``), uid and gid are set to what a
/// mount run by `uid`/`gid` reports; any other entry is left as it is, so git still sees what
/// changed. The trailing checksum is recomputed. Indexes of SHA-256 repositories and split
/// indexes are left alone.
public enum GitIndexRefresh {
    /// What one refresh did.
    public struct Report: Sendable, Hashable {
        /// The index's VFS path.
        public var index: String
        /// Its entries.
        public var entries: Int
        /// The entries given the mount's stat data.
        public var refreshed: Int
        /// Why the index was left as it is, when it was.
        public var skipped: String?

        public init(index: String, entries: Int, refreshed: Int, skipped: String? = nil) {
            self.index = index
            self.entries = entries
            self.refreshed = refreshed
            self.skipped = skipped
        }
    }

    /// Refreshes the index of the work tree at `worktree` (its `.git/index`).
    public static func refresh(_ namespace: VFSNamespace, worktree: String, uid: UInt32 = getuid(), gid: UInt32 = getgid()) throws -> Report {
        let worktree = try VFSPath(worktree, operation: "git-index").string
        // Paths in the index are relative to the work tree.
        let prefix = worktree == "/" ? "" : worktree
        let gitDirectory = prefix + "/.git"
        let indexPath = gitDirectory + "/index"
        var report = Report(index: indexPath, entries: 0, refreshed: 0, skipped: nil)
        if let config = try? namespace.readFile(gitDirectory + "/config"),
           String(decoding: config, as: UTF8.self).lowercased().replacingOccurrences(of: " ", with: "").contains("objectformat=sha256") {
            report.skipped = "a SHA-256 repository"
            return report
        }
        let original = try namespace.readFile(indexPath)
        let indexEntry = try namespace.stat(indexPath)
        var bytes = [UInt8](original)
        let index = try IndexFile(bytes)
        report.entries = index.entries.count
        if let reason = index.unsupported {
            report.skipped = reason
            return report
        }
        for entry in index.entries where entry.isRegularFile && entry.stage == 0 && !entry.skipsWorktree {
            guard let name = String(validating: entry.path, as: UTF8.self),
                  let file = try? namespace.openFile(prefix + "/" + name),
                  UInt32(truncatingIfNeeded: file.size) == entry.size,
                  // A file that cannot be read is not vouched for: git will read it itself.
                  (try? blobID(of: file, in: namespace.fileSystem)) == entry.objectID
            else { continue }
            let ctime = FuseFileSystem.timespec(file.attributes.ctimeNanoseconds)
            let mtime = FuseFileSystem.timespec(file.attributes.mtimeNanoseconds)
            let inode = MountInode.file(namespace: namespace.name, path: file.path, contentID: file.contentID)
            let fields: [UInt32] = [UInt32(truncatingIfNeeded: ctime.tv_sec), UInt32(truncatingIfNeeded: ctime.tv_nsec),
                                    UInt32(truncatingIfNeeded: mtime.tv_sec), UInt32(truncatingIfNeeded: mtime.tv_nsec)]
            for (offset, value) in fields.enumerated() { IndexFile.store(value, in: &bytes, at: entry.offset + offset * 4) }
            IndexFile.store(UInt32(truncatingIfNeeded: inode), in: &bytes, at: entry.offset + 20)
            IndexFile.store(uid, in: &bytes, at: entry.offset + 28)
            IndexFile.store(gid, in: &bytes, at: entry.offset + 32)
            report.refreshed += 1
        }
        index.sealChecksum(&bytes)
        guard bytes != [UInt8](original) else { return report }
        // Written now, with its mode: git treats an entry whose mtime is not older than the
        // index's as possibly changed ("racily clean"), and the files are older than now.
        _ = try namespace.writeFile(indexPath, contents: Data(bytes), options: WriteOptions(mode: indexEntry.mode))
        return report
    }

    /// The git blob id (SHA-1 of `blob SIZE\0` and the bytes) of the version `file` opened.
    static func blobID(of file: VFSFileHandle, in fileSystem: VirtualFileSystem) throws -> [UInt8] {
        var hasher = Insecure.SHA1()
        hasher.update(data: Data("blob \(file.size)\0".utf8))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < file.size {
            let count = try fileSystem.read(file, offset: offset, into: buffer)
            guard count > 0 else { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
        return Array(hasher.finalize())
    }
}

/// A git index file (versions 2 to 4), parsed as far as this refresh needs: each entry's place,
/// mode, flags, size, blob id and path.
struct IndexFile {
    struct Entry {
        /// Where the entry starts (its ctime).
        var offset: Int
        var mode: UInt32
        var size: UInt32
        var objectID: [UInt8]
        var flags: UInt16
        var extendedFlags: UInt16
        var path: [UInt8]

        var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
        var stage: Int { Int(flags >> 12) & 3 }
        var skipsWorktree: Bool { extendedFlags & 0x4000 != 0 }
    }

    var version: UInt32
    var entries: [Entry] = []
    /// Why the refresh must leave it alone, if it must.
    var unsupported: String?
    /// Where the trailing checksum starts.
    var checksumOffset: Int

    init(_ bytes: [UInt8]) throws {
        func fail(_ detail: String) -> VFSError { VFSError(EINVAL, "git-index", ".git/index", detail: "not a git index this build can read: \(detail)") }
        guard bytes.count >= 12 + 20, bytes[0..<4] == [0x44, 0x49, 0x52, 0x43] else { throw fail("no DIRC header") }
        version = Self.load(bytes, 4)
        guard (2...4).contains(version) else { throw fail("version \(version)") }
        let count = Int(Self.load(bytes, 8))
        checksumOffset = bytes.count - 20
        var offset = 12
        var previous: [UInt8] = []
        for _ in 0..<count {
            let hashEnd = offset + 40 + 20
            guard hashEnd + 2 <= checksumOffset else { throw fail("entries run past the end") }
            let flags = UInt16(bytes[hashEnd]) << 8 | UInt16(bytes[hashEnd + 1])
            var pathStart = hashEnd + 2
            var extended: UInt16 = 0
            if flags & 0x4000 != 0 {
                guard version >= 3, pathStart + 2 <= checksumOffset else { throw fail("extended flags") }
                extended = UInt16(bytes[pathStart]) << 8 | UInt16(bytes[pathStart + 1])
                pathStart += 2
            }
            let path: [UInt8]
            let next: Int
            if version == 4 {
                var cursor = pathStart
                guard let strip = Self.varint(bytes, &cursor, limit: checksumOffset), strip <= previous.count,
                      let end = bytes[cursor..<checksumOffset].firstIndex(of: 0) else { throw fail("a v4 path") }
                path = Array(previous[0..<(previous.count - strip)]) + bytes[cursor..<end]
                next = end + 1
            } else {
                guard let end = bytes[pathStart..<checksumOffset].firstIndex(of: 0) else { throw fail("a path") }
                path = Array(bytes[pathStart..<end])
                // NUL padding to a multiple of 8 bytes from the entry's start (at least one NUL).
                next = offset + ((pathStart - offset + path.count + 8) & ~7)
            }
            guard next <= checksumOffset else { throw fail("entries run past the end") }
            entries.append(Entry(offset: offset, mode: Self.load(bytes, offset + 24), size: Self.load(bytes, offset + 36),
                                 objectID: Array(bytes[(offset + 40)..<hashEnd]), flags: flags, extendedFlags: extended, path: path))
            previous = path
            offset = next
        }
        // Extensions: a split index keeps its entries in another file.
        while offset + 8 <= checksumOffset {
            let signature = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = Int(Self.load(bytes, offset + 4))
            if signature == "link" { unsupported = "a split index" }
            offset += 8 + size
        }
    }

    /// Recomputes the trailing SHA-1, unless the index was written without one (all zeros:
    /// `index.skipHash`).
    func sealChecksum(_ bytes: inout [UInt8]) {
        guard bytes[checksumOffset...].contains(where: { $0 != 0 }) else { return }
        let digest = Insecure.SHA1.hash(data: bytes[0..<checksumOffset])
        bytes.replaceSubrange(checksumOffset..., with: Array(digest))
    }

    static func load(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func store(_ value: UInt32, in bytes: inout [UInt8], at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }

    /// git's offset varint (index v4 path prefixes).
    static func varint(_ bytes: [UInt8], _ cursor: inout Int, limit: Int) -> Int? {
        guard cursor < limit else { return nil }
        var byte = bytes[cursor]
        cursor += 1
        var value = Int(byte & 127)
        while byte & 128 != 0 {
            guard cursor < limit, value < Int.max >> 8 else { return nil }
            byte = bytes[cursor]
            cursor += 1
            value = ((value + 1) << 7) + Int(byte & 127)
        }
        return value
    }
}
