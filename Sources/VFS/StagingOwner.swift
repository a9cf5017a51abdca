import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The writer of a staged upload, recorded as `<host>:<pid>`, so that an upload whose writer
/// died (killed mid-write) can be told from one in progress.
enum StagingOwner {
    /// This process.
    static let current = "\(hostName):\(getpid())"

    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }()

    /// Whether the owner is known to be dead: a process of this host that no longer exists.
    /// Owners on other hosts, and unrecorded ones, are never known dead.
    static func isDead(_ owner: String?) -> Bool {
        guard let owner, let colon = owner.lastIndex(of: ":"), String(owner[..<colon]) == hostName,
              let pid = Int32(owner[owner.index(after: colon)...]), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
