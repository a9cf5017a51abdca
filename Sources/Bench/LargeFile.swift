import AgentRuntime
import Foundation
import GRDB
import StateStore
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// What one child process measured for the large file.
struct LargeFileResult: Codable {
    var part: String
    var mebibytes: Int
    /// Writing the whole file (VFS: `writeFile(from:)`; native: `write` + `close`).
    var write: Sample
    /// Native only: `write` + `fsync` + `close`.
    var writeFsync: Sample?
    /// Reading the whole file (VFS: `streamFile`; native: `read` in 1 MiB calls).
    var read: Sample
    /// VFS only: the same reads with checksum verification off (the cost of the check).
    var readUnverified: Sample? = nil
    /// RSS after setup, before the first write.
    var baselineRSSKiB: Int
    /// VmHWM during the write phase and the read phase (reset in between when the kernel allows).
    var peakWriteKiB: Int
    var peakReadKiB: Int
    /// The highest VmHWM seen by the process, setup included.
    var peakKiB: Int
    var peakResetWorked: Bool
    /// Bytes the process passed to `write(2)` / got from `read(2)` during the last timed
    /// write / read (from /proc/self/io `wchar` / `rchar`).
    var writeSyscallBytes: Int64
    var readSyscallBytes: Int64
}

/// Workload 7, run inside `openclaw-bench vfs-large`.
enum LargeFile {
    static let patternBytes = 1 << 20

    /// Fills `buffer` with the next bytes of a file made of `pattern` repeated.
    static func produce(_ buffer: UnsafeMutableRawBufferPointer, pattern: UnsafeRawBufferPointer, produced: inout Int, total: Int) -> Int {
        let count = min(buffer.count, total - produced)
        var written = 0
        while written < count {
            let offset = (produced + written) % pattern.count
            let length = min(count - written, pattern.count - offset)
            (buffer.baseAddress! + written).copyMemory(from: pattern.baseAddress! + offset, byteCount: length)
            written += length
        }
        produced += count
        return count
    }

    static func runVFS(state: String, mebibytes: Int, repetitions: Int) throws -> LargeFileResult {
        let database = try StateDirectory(root: state).openAgent(AgentID.main, components: [AgentRuntime.fileSystemSchema])
        let workspace = try VirtualFileSystem(database: database).namespace("workspace")
        var generator = SplitMix64(state: 7)
        let pattern = generator.bytes(patternBytes)
        let total = mebibytes << 20
        let startupPeak = ProcStatus.kibibytes("VmHWM")
        let baseline = ProcStatus.kibibytes("VmRSS")
        let resetWorked = ProcStatus.resetPeak()
        var writeBytes: Int64 = 0
        var rep = 0
        let write = try pattern.withUnsafeBytes { raw in
            try measure(repetitions: repetitions, setup: { sync() }, teardown: {
                _ = try workspace.remove("/big-\(rep)")
                rep += 1
            }) {
                var produced = 0
                let before = ProcStatus.io("wchar")
                try workspace.writeFile("/big-\(rep)") { buffer in produce(buffer, pattern: raw, produced: &produced, total: total) }
                writeBytes = ProcStatus.io("wchar") - before
            }
        }
        let peakWrite = ProcStatus.kibibytes("VmHWM")
        // The file to read, written untimed.
        try pattern.withUnsafeBytes { raw in
            var produced = 0
            _ = try workspace.writeFile("/big") { buffer in produce(buffer, pattern: raw, produced: &produced, total: total) }
        }
        sync()
        _ = ProcStatus.resetPeak()
        var readBytes: Int64 = 0
        let read = try measure(repetitions: repetitions) {
            var count = 0
            let before = ProcStatus.io("rchar")
            try workspace.streamFile("/big") { chunk in count += chunk.count }
            readBytes = ProcStatus.io("rchar") - before
            guard count == total else { throw BenchError("streamFile returned \(count) bytes, not \(total)") }
        }
        let peakRead = ProcStatus.kibibytes("VmHWM")
        var unverifiedLimits = VFSLimits.fromEnvironment()
        unverifiedLimits.verifiesChecksums = false
        let unverified = try VirtualFileSystem(database: database, limits: unverifiedLimits).namespace("workspace")
        let readUnverified = try measure(repetitions: repetitions) {
            var count = 0
            try unverified.streamFile("/big") { chunk in count += chunk.count }
            guard count == total else { throw BenchError("streamFile returned \(count) bytes, not \(total)") }
        }
        var result = LargeFileResult(part: "vfs", mebibytes: mebibytes, write: write, writeFsync: nil, read: read, baselineRSSKiB: baseline,
                                     peakWriteKiB: peakWrite, peakReadKiB: peakRead, peakKiB: max(startupPeak, peakWrite, peakRead),
                                     peakResetWorked: resetWorked, writeSyscallBytes: writeBytes, readSyscallBytes: readBytes)
        result.readUnverified = readUnverified
        return result
    }

    static func runNative(directory: String, mebibytes: Int, repetitions: Int) throws -> LargeFileResult {
        try Native.makeDirectories(directory)
        var generator = SplitMix64(state: 7)
        let pattern = generator.bytes(patternBytes)
        let total = mebibytes << 20
        let startupPeak = ProcStatus.kibibytes("VmHWM")
        let baseline = ProcStatus.kibibytes("VmRSS")
        let resetWorked = ProcStatus.resetPeak()
        var writeBytes: Int64 = 0
        func writeFile(_ path: String, sync doSync: Bool) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BenchError.system("open", path) }
            defer { close(fd) }
            try pattern.withUnsafeBytes { raw in
                var written = 0
                while written < total {
                    let count = min(raw.count, total - written)
                    try Native.writeAll(fd, UnsafeRawBufferPointer(rebasing: raw[0..<count]), path)
                    written += count
                }
            }
            if doSync, fsync(fd) != 0 { throw BenchError.system("fsync", path) }
        }
        let path = directory + "/big"
        let unlinkFirst = { () throws in
            unlink(path)
            sync()
        }
        let write = try measure(repetitions: repetitions, setup: unlinkFirst) {
            let before = ProcStatus.io("wchar")
            try writeFile(path, sync: false)
            writeBytes = ProcStatus.io("wchar") - before
        }
        let writeFsync = try measure(repetitions: repetitions, setup: unlinkFirst) { try writeFile(path, sync: true) }
        let peakWrite = ProcStatus.kibibytes("VmHWM")
        try writeFile(path, sync: false)
        sync()
        _ = ProcStatus.resetPeak()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var readBytes: Int64 = 0
        let read = try measure(repetitions: repetitions) {
            let before = ProcStatus.io("rchar")
            let count = try Native.readFile(path, into: buffer)
            readBytes = ProcStatus.io("rchar") - before
            guard count == total else { throw BenchError("read returned \(count) bytes, not \(total)") }
        }
        let peakRead = ProcStatus.kibibytes("VmHWM")
        unlink(path)
        return LargeFileResult(part: "native", mebibytes: mebibytes, write: write, writeFsync: writeFsync, read: read, baselineRSSKiB: baseline,
                               peakWriteKiB: peakWrite, peakReadKiB: peakRead, peakKiB: max(startupPeak, peakWrite, peakRead),
                               peakResetWorked: resetWorked, writeSyscallBytes: writeBytes, readSyscallBytes: readBytes)
    }
}
