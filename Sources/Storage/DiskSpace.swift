import CSystemShims
import Foundation

/// Free space on the filesystem holding a path.
public enum DiskSpace {
    /// The bytes that can surely still be allocated beside `path` (a file or directory): the
    /// unprivileged figure, even for root, or `nil` when the filesystem cannot be asked.
    public static func available(at path: String) -> Int64? {
        let value = openclaw_available_bytes(existingAncestor(of: path))
        return value < 0 ? nil : Int64(value)
    }

    /// The size of the filesystem holding `path`, or `nil`.
    public static func capacity(at path: String) -> Int64? {
        let value = openclaw_filesystem_bytes(existingAncestor(of: path))
        return value < 0 ? nil : Int64(value)
    }

    /// Below this many free bytes an I/O failure is taken to be a full disk: SQLite reports a
    /// failed allocation of its `-shm` or WAL as "disk I/O error", not as `SQLITE_FULL`.
    public static let nearlyFullBytes: Int64 = 1 << 20

    /// Whether the filesystem holding `path` is (nearly) full.
    public static func isNearlyFull(at path: String) -> Bool {
        available(at: path).map { $0 < nearlyFullBytes } ?? false
    }

    private static func existingAncestor(of path: String) -> String {
        var current = path.isEmpty ? "." : path
        while !FileManager.default.fileExists(atPath: current) {
            let parent = (current as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == current { return "/" }
            current = parent
        }
        return current
    }
}
