import Foundation
import Storage
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The native side of every workload: plain POSIX calls on a directory of the same disk.
enum Native {
    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates or truncates `path` and writes `bytes`, optionally with `fsync` before `close`.
    static func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer, sync: Bool = false) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        defer { close(fd) }
        try writeAll(fd, bytes, path)
        if sync, fsync(fd) != 0 { throw BenchError.system("fsync", path) }
    }

    /// Writes all of `bytes`; retries on EINTR and short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ path: String) throws {
        try FileDescriptor(rawValue: fd).writeAll(bytes) { BenchError.system("write", path, errno: $0.rawValue) }
    }

    /// The durable replace of a small file: write a temporary, `fsync` it, `rename` it over the
    /// target. (Without the `fsync` of the directory, as most programs do.)
    static func durableReplace(_ path: String, temporary: String, _ bytes: UnsafeRawBufferPointer, sync: Bool = true) throws {
        try writeFile(temporary, bytes, sync: sync)
        guard rename(temporary, path) == 0 else { throw BenchError.system("rename", path) }
    }

    /// `open`, `read` until end of file, `close`. Returns the byte count.
    static func readFile(_ path: String, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        defer { close(fd) }
        var total = 0
        while true {
            let count = read(fd, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError.system("read", path)
            }
            if count == 0 { return total }
            total += count
        }
    }

    /// `lstat`; returns the size.
    static func lstatSize(_ path: String) throws -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw BenchError.system("lstat", path) }
        return Int64(info.st_size)
    }

    /// What `ls -l` does: `readdir` the directory, `lstat` each entry (as `fstatat` on the
    /// directory's descriptor with `AT_SYMLINK_NOFOLLOW`), sort by name. Returns the entry count.
    static func listLong(_ directory: String) throws -> Int {
        guard let handle = opendir(directory) else { throw BenchError.system("opendir", directory) }
        defer { closedir(handle) }
        let dirFD = dirfd(handle)
        var entries: [(name: [UInt8], size: Int64, mode: UInt32, mtime: Int)] = []
        entries.reserveCapacity(128)
        while let entry = readdir(handle) {
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { chars in
                    Array(UnsafeRawBufferPointer(start: chars, count: strlen(chars)).bindMemory(to: UInt8.self))
                }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            var info = stat()
            let status = name.withUnsafeBufferPointer { bytes -> Int32 in
                var cName = Array(bytes) + [0]
                return cName.withUnsafeMutableBufferPointer { pointer in
                    pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                        fstatat(dirFD, $0, &info, AT_SYMLINK_NOFOLLOW)
                    }
                }
            }
            guard status == 0 else { throw BenchError.system("lstat", directory) }
            entries.append((name, Int64(info.st_size), UInt32(info.st_mode), info.st_mtim.tv_sec))
        }
        entries.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return entries.count
    }

    /// Creates an empty file.
    static func touch(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        close(fd)
    }

    /// `rm -rf`, by the system's `rm` (much faster than FileManager on large trees).
    static func removeTree(_ path: String) throws {
        try runProcess("/bin/rm", ["-rf", path])
    }
}

/// Host trees the workloads read from, generated deterministically.
enum Trees {
    /// Creates `directories` x `filesPerDirectory` files under `root` (`dNNN/fNNNN`), with the
    /// sizes `size(index)` and pseudo-random bytes. Returns the relative paths in creation order.
    @discardableResult
    static func make(root: String, directories: Int, filesPerDirectory: Int, pattern: [UInt8], size: (Int) -> Int) throws -> [String] {
        var paths: [String] = []
        paths.reserveCapacity(directories * filesPerDirectory)
        try pattern.withUnsafeBytes { raw in
            var index = 0
            for directory in 0..<directories {
                let directoryName = "d" + padded(directory, 3)
                try Native.makeDirectories(root + "/" + directoryName)
                for file in 0..<filesPerDirectory {
                    let relative = directoryName + "/f" + padded(file, 4)
                    let count = min(size(index), raw.count / 2)
                    let start = (index &* 7919) % (raw.count - count)
                    try Native.writeFile(root + "/" + relative, UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)]))
                    paths.append(relative)
                    index += 1
                }
            }
        }
        return paths
    }
}
