import Synchronization

/// How many requests of each kind the kernel sent this mount, for the reader who wants to know
/// why a workload is fast or slow. Read through the root's `user.openclaw.requests` xattr as a
/// JSON object (`getfattr -n user.openclaw.requests MOUNT`); that read counts itself.
final class RequestCounts: Sendable {
    /// The requests counted, by their FUSE opcode names.
    enum Kind: Int, CaseIterable {
        case lookup, forget, getattr, opendir, readdir, readdirplus, releasedir, open, read, release, statfs, getxattr, listxattr, refused

        var name: String {
            switch self {
            case .lookup: "LOOKUP"
            case .forget: "FORGET"
            case .getattr: "GETATTR"
            case .opendir: "OPENDIR"
            case .readdir: "READDIR"
            case .readdirplus: "READDIRPLUS"
            case .releasedir: "RELEASEDIR"
            case .open: "OPEN"
            case .read: "READ"
            case .release: "RELEASE"
            case .statfs: "STATFS"
            case .getxattr: "GETXATTR"
            case .listxattr: "LISTXATTR"
            case .refused: "WRITES_REFUSED"
            }
        }
    }

    /// One uncontended lock per request: tens of nanoseconds against microseconds of work.
    private let counts = Mutex([UInt64](repeating: 0, count: Kind.allCases.count))

    func count(_ kind: Kind, _ amount: UInt64 = 1) {
        counts.withLock { $0[kind.rawValue] &+= amount }
    }

    /// `{"LOOKUP":40,"FORGET":0,...}`, every kind, in a stable order.
    var json: String {
        let values = counts.withLock { $0 }
        return "{" + Kind.allCases.map { "\"\($0.name)\":\(values[$0.rawValue])" }.joined(separator: ",") + "}"
    }
}
