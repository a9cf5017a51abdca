import Foundation
import Storage

/// Progress of an import or export, reported as it goes.
public struct HostTransferProgress: Sendable, Hashable {
    public var files: Int
    public var directories: Int
    public var bytes: Int64
    /// Files in the whole transfer, when known.
    public var totalFiles: Int
    /// Bytes in the whole transfer, when known.
    public var totalBytes: Int64
}

/// A host entry that an import or export left out, and why.
public struct SkippedHostEntry: Sendable, Hashable, Codable {
    public var path: String
    public var reason: String
}

/// The outcome of ``VFSNamespace/importDirectory(_:to:progress:)`` or
/// ``VFSNamespace/exportDirectory(_:to:progress:)``.
public struct HostTransferReport: Sendable, Hashable, Codable {
    public var files: Int = 0
    public var directories: Int = 0
    public var bytes: Int64 = 0
    /// Symbolic links, devices, sockets, FIFOs and names the VFS cannot hold.
    public var skipped: [SkippedHostEntry] = []
}

/// Throttles progress callbacks to a few per second.
struct ProgressThrottle {
    private var last: UInt64 = 0
    mutating func due() -> Bool {
        let now = SystemClock.monotonicNanoseconds()
        guard now - last >= 100_000_000 else { return false }
        last = now
        return true
    }
}
