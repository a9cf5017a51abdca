import CSystemShims
import Foundation

/// How a database journals its writes, chosen from the filesystem it lives on.
public enum JournalPolicy: String, Sendable, CustomStringConvertible {
    /// Write-ahead log: concurrent readers, one writer, fsync only at checkpoints.
    case wal
    /// Rollback journal, for network and VM filesystems where WAL's shared memory is unsafe.
    case rollback

    public var description: String { rawValue }

    /// Filesystem magic numbers (`statfs.f_type`) on which WAL is unsafe.
    static let unsafeMagics: [Int: String] = [
        0x6969: "nfs",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x0102_1997: "9p",
        0x6573_5546: "fuse",
    ]
    /// Filesystem type names (from /proc/self/mountinfo) on which WAL is unsafe.
    static let unsafeTypes: Set<String> = ["nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "fuse.sshfs"]

    /// Chooses the policy for a database in `directory`.
    ///
    /// `OPENCLAW_SQLITE_JOURNAL=wal|rollback` overrides the detection.
    public static func detect(forDirectory directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> (policy: JournalPolicy, reason: String) {
        if let forced = environment["OPENCLAW_SQLITE_JOURNAL"], let policy = JournalPolicy(rawValue: forced) {
            return (policy, "OPENCLAW_SQLITE_JOURNAL=\(forced)")
        }
        let magic = Int(openclaw_filesystem_magic(directory))
        if magic >= 0, let name = unsafeMagics[magic] {
            return (.rollback, "state directory is on \(name)")
        }
        if let type = mountType(of: directory), unsafeTypes.contains(type) {
            return (.rollback, "state directory is on \(type)")
        }
        return (.wal, "local filesystem")
    }

    /// The filesystem type of the mount holding `path`, from /proc/self/mountinfo.
    static func mountType(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var best: (length: Int, type: String)?
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { continue }
            let mountPoint = String(fields[4])
            let isPrefix = resolved == mountPoint || mountPoint == "/" || resolved.hasPrefix(mountPoint + "/")
            guard isPrefix else { continue }
            let type = String(halves[1].split(separator: " ").first ?? "")
            if let current = best, current.length >= mountPoint.count { continue }
            best = (mountPoint.count, type)
        }
        return best?.type
    }
}
