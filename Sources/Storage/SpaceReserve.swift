import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A file of allocated blocks kept beside the state databases, given up when the disk is full so
/// that the operations that free space (removing files, discarding a failed upload, checkpoints,
/// reclaiming free pages) have room for their WAL, and taken again once there is room.
///
/// New writes never spend it: only ``release()`` does, and only callers that are about to free
/// space call that.
public struct SpaceReserve: Sendable, Hashable {
    /// The reserve file.
    public let path: String
    /// Its size.
    public let bytes: Int64

    public init(path: String, bytes: Int64) {
        self.path = path
        self.bytes = bytes
    }

    /// The reserve of a state root: `<directory>/.space-reserve`, of
    /// `OPENCLAW_SPACE_RESERVE_BYTES` bytes (0 disables it), by default 8 MiB or 1/16 of the
    /// filesystem, whichever is smaller.
    public static func inDirectory(_ directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> SpaceReserve? {
        let bytes: Int64
        if let text = environment["OPENCLAW_SPACE_RESERVE_BYTES"], let value = Int64(text), value >= 0 {
            bytes = value
        } else {
            bytes = min(8 << 20, (DiskSpace.capacity(at: directory) ?? (128 << 20)) / 16)
        }
        return bytes > 0 ? SpaceReserve(path: directory + "/.space-reserve", bytes: bytes) : nil
    }

    /// Whether the reserve is in place.
    public var isHeld: Bool {
        var info = stat()
        return lstat(path, &info) == 0 && Int64(info.st_blocks) * 512 >= bytes
    }

    /// Deletes the reserve, giving its blocks to the filesystem, and commits the filesystem's
    /// journal: ext4 hands freed blocks out again only once the transaction that freed them has
    /// committed (up to 5 s later); the directory's fsync commits it. Returns whether it was held.
    @discardableResult
    public func release() -> Bool {
        guard unlink(path) == 0 else { return false }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
        return true
    }

    /// Takes the reserve again when the filesystem has room for it twice over, so that taking it
    /// never leaves the disk full. Returns whether it is held afterwards.
    @discardableResult
    public func replenish() -> Bool {
        if isHeld { return true }
        let directory = (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: directory),
              let available = DiskSpace.available(at: directory), available >= 2 * bytes else { return false }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var allocated = posix_fallocate(fd, 0, off_t(bytes)) == 0
        if !allocated {
            // Filesystems without fallocate: write the blocks.
            let block = [UInt8](repeating: 0, count: 1 << 16)
            var written: Int64 = 0
            allocated = true
            while written < bytes {
                let count = Int(min(Int64(block.count), bytes - written))
                do {
                    _ = try FileDescriptor(rawValue: fd).writeAll(block[..<count])
                } catch {
                    allocated = false
                    break
                }
                written += Int64(count)
            }
        }
        close(fd)
        guard allocated, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }
}
