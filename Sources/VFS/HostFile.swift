import Foundation
import Storage
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the host's file calls, raising `VFSError` with the host path.
enum HostFile {
    /// `UTIME_OMIT` from <sys/stat.h>, which Glibc's module does not export.
    private static let utimeOmit = (1 << 30) - 2

    struct Status {
        var isDirectory: Bool
        var isRegular: Bool
        var isSymlink: Bool
        var mode: UInt32
        var size: Int64
        var mtime: Int64
    }

    /// The status of `path` itself (a symbolic link is not followed).
    static func lstatus(_ path: String, _ operation: String) throws -> Status {
        try status(path, operation, follow: false)
    }

    /// The status of `path`, following a symbolic link unless `follow` is off.
    static func status(_ path: String, _ operation: String, follow: Bool = true) throws -> Status {
        var info = stat()
        guard (follow ? stat(path, &info) : lstat(path, &info)) == 0 else { throw VFSError(errno, operation, path) }
        let type = info.st_mode & S_IFMT
        return Status(isDirectory: type == S_IFDIR, isRegular: type == S_IFREG, isSymlink: type == S_IFLNK,
                      mode: UInt32(info.st_mode & 0o7777), size: Int64(info.st_size),
                      mtime: EpochTime.nanoseconds(seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec))
    }

    /// The names in a directory as raw bytes, without `.` and `..`, sorted.
    static func names(in directory: String, _ operation: String) throws -> [[UInt8]] {
        guard let handle = opendir(directory) else { throw VFSError(errno, operation, directory) }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: 256) { bytes in
                    Array(UnsafeBufferPointer(start: bytes, count: strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))))
                }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func openForReading(_ path: String, _ operation: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VFSError(errno, operation, path) }
        return fd
    }

    /// Reads until `buffer` is full or the file ends; retries on EINTR.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, _ operation: String, _ path: String) throws -> Int {
        var total = 0
        while total < buffer.count {
            let count = Glibc.read(fd, buffer.baseAddress.map { $0 + total }, buffer.count - total)
            if count < 0 {
                if errno == EINTR { continue }
                throw VFSError(errno, operation, path)
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Writes all of `data`; retries on EINTR and short writes.
    static func writeAll(_ fd: Int32, _ data: Data, _ operation: String, _ path: String) throws {
        try FileDescriptor(rawValue: fd).writeAll(data) { VFSError($0.rawValue, operation, path) }
    }

    /// `[atime omitted, mtime]` for futimens/utimensat; times before 1970 floor correctly.
    private static func times(_ nanoseconds: Int64) -> [timespec] {
        let time = EpochTime.flooredSeconds(nanoseconds)
        return [timespec(tv_sec: 0, tv_nsec: utimeOmit), timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)]
    }

    static func setModificationTime(fd: Int32, _ nanoseconds: Int64) {
        var values = times(nanoseconds)
        _ = futimens(fd, &values)
    }

    static func setModificationTime(path: String, _ nanoseconds: Int64) {
        var values = times(nanoseconds)
        _ = utimensat(AT_FDCWD, path, &values, Int32(AT_SYMLINK_NOFOLLOW))
    }

    /// Creates one directory inside an export; an existing directory is fine, but a symbolic
    /// link (which could lead outside the target) is refused with `ELOOP`.
    static func makeDirectoryNoFollow(_ path: String, mode: UInt32, _ operation: String) throws {
        if mkdir(path, mode_t(mode)) == 0 { return }
        let code = errno
        guard code == EEXIST else { throw VFSError(code, operation, path) }
        let status = try lstatus(path, operation)
        if status.isSymlink { throw VFSError(ELOOP, operation, path, detail: "refusing to follow a symbolic link in the target") }
        if !status.isDirectory { throw VFSError(ENOTDIR, operation, path) }
    }

    /// Creates a directory (and its parents); an existing directory (or a symbolic link to one)
    /// is fine. The path is used as its bytes and split on its `/` bytes, never normalized.
    static func makeDirectories(_ path: String, mode: UInt32, _ operation: String) throws {
        if let existing = try? status(path, operation) {
            guard existing.isDirectory else { throw VFSError(ENOTDIR, operation, path) }
            return
        }
        let bytes = path.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: "/") { end = bytes.index(before: end) }
        if let slash = bytes[..<end].lastIndex(of: UInt8(ascii: "/")), slash != bytes.startIndex,
           let parent = String(bytes[..<slash]) {
            try makeDirectories(parent, mode: 0o755, operation)
        }
        if mkdir(path, mode_t(mode)) != 0, errno != EEXIST { throw VFSError(errno, operation, path) }
    }
}
