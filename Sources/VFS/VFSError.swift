import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the VFS: a POSIX errno, the operation that failed and the path it
/// concerned.
///
/// ```swift
/// do { try workspace.readFile("/nope") }
/// catch let error as VFSError where error.errno == ENOENT { ... }
/// ```
/// Its description reads like a shell's: `cat /nope: No such file or directory (ENOENT)`.
public struct VFSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The POSIX error number.
    public var errno: Int32
    /// The operation, named like the command that runs it (`cat`, `write`, `mv`, ...).
    public var operation: String
    /// The path concerned, as given or as normalized.
    public var path: String
    /// More about the cause when the errno alone does not say it (for example a quota).
    public var detail: String?
    /// Whether the stored data is damaged (a checksum mismatch, a missing chunk, a corrupt
    /// database page), as opposed to a request that cannot be served: the remedy is a backup.
    public var isDamage: Bool

    public init(_ errno: Int32, _ operation: String, _ path: String, detail: String? = nil, isDamage: Bool = false) {
        self.errno = errno
        self.operation = operation
        self.path = path
        self.detail = detail
        self.isDamage = isDamage
    }

    /// The symbolic name of ``errno``, such as `ENOENT`.
    public var errnoName: String { Self.name(of: errno) }

    /// The system's text for ``errno``, such as "No such file or directory".
    public var errnoText: String { String(cString: strerror(errno)) }

    /// The message; a path or detail holding control characters is quoted (`$'...'`, see
    /// ``TerminalText``), so printing it can never drive the terminal.
    public var description: String {
        var text = "\(operation) \(TerminalText.quoted(path)): \(errnoText) (\(errnoName))"
        if let detail { text += ": \(TerminalText.quoted(detail))" }
        return text
    }

    /// A copy of this error attributed to another operation.
    public func with(operation: String) -> VFSError {
        var copy = self
        copy.operation = operation
        return copy
    }

    /// The symbolic name of a POSIX errno.
    public static func name(of errno: Int32) -> String {
        switch errno {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EACCES: "EACCES"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EXDEV: "EXDEV"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOTEMPTY: "ENOTEMPTY"
        case ELOOP: "ELOOP"
        case EILSEQ: "EILSEQ"
        case EDQUOT: "EDQUOT"
        case EPROTO: "EPROTO"
        case ESTALE: "ESTALE"
        case EAGAIN: "EAGAIN"
        case ENOSYS: "ENOSYS"
        case ENODATA: "ENODATA"
        case ERANGE: "ERANGE"
        case EDEADLK: "EDEADLK"
        default: "E\(errno)"
        }
    }
}
