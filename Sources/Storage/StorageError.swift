import Foundation

/// An error raised while opening, migrating or backing up a state database.
///
/// Every error names the database file it concerns and says what to do about it.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Internal: String { case newerSchema, identityMismatch, cannotOpen, corrupt, integrityCheckFailed, backupFailed, io }
        private let value: Internal
        private init(_ value: Internal) { self.value = value }

        /// The database was written by a newer openclaw.
        public static let newerSchema = Code(.newerSchema)
        /// The database belongs to another role or agent.
        public static let identityMismatch = Code(.identityMismatch)
        /// The file could not be opened or created.
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is not a usable SQLite database.
        public static let corrupt = Code(.corrupt)
        /// `PRAGMA integrity_check` reported problems.
        public static let integrityCheckFailed = Code(.integrityCheckFailed)
        /// A backup could not be written.
        public static let backupFailed = Code(.backupFailed)
        /// A host I/O call failed.
        public static let io = Code(.io)

        public var description: String { value.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The database file concerned.
    public var path: String
    /// A sentence that explains the failure and how to recover.
    public var message: String
    /// The POSIX errno closest to the failure.
    public var errno: Int32
    /// What to do about it, when there is something to do (the CLI prints it on a `hint:` line).
    public var hint: String?

    public init(_ code: Code, path: String, message: String, errno: Int32 = EIO, hint: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
        self.hint = hint
    }

    /// `path: message`, with the errno's name when it is the whole story (a full disk); no hint.
    public var summary: String {
        errno == ENOSPC ? "\(path): No space left on device (ENOSPC): \(message)" : "\(path): \(message)"
    }

    /// ``summary``, then the hint.
    public var description: String {
        hint.map { summary + "; " + $0 } ?? summary
    }
}
