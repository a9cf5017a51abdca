import Foundation
import GRDB

/// What an SQLite failure means in POSIX terms: the one table from SQLite result codes to errno,
/// used by every module that speaks errno.
public struct SQLiteFailure: Sendable, Hashable {
    /// The closest POSIX errno.
    public var errno: Int32
    /// Whether the database file is damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    public var isDamage: Bool
    /// What happened, in a few words, with SQLite's own message.
    public var message: String

    /// Classifies `error`, raised on the database at `databasePath`. An I/O error while the
    /// filesystem holding the database is full is `ENOSPC`: SQLite reports a failed allocation of
    /// its `-shm` or WAL file as a generic "disk I/O error".
    public init(_ error: DatabaseError, databasePath: String) {
        let sqlite = error.message ?? "\(error.resultCode)"
        isDamage = false
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            errno = EBUSY
            message = "the database is locked by another writer past the busy timeout"
        case .SQLITE_FULL:
            errno = ENOSPC
            message = "the disk is full (\(sqlite))"
        case .SQLITE_IOERR where DiskSpace.isNearlyFull(at: databasePath),
             .SQLITE_CANTOPEN where DiskSpace.isNearlyFull(at: databasePath):
            errno = ENOSPC
            message = "the disk is full (SQLite: \(sqlite))"
        case .SQLITE_READONLY:
            errno = EROFS
            message = sqlite
        case .SQLITE_PERM, .SQLITE_AUTH:
            errno = EACCES
            message = sqlite
        case .SQLITE_TOOBIG:
            errno = EFBIG
            message = sqlite
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            errno = EIO
            isDamage = true
            message = "the database file is damaged (\(sqlite))"
        case .SQLITE_CANTOPEN:
            errno = EACCES
            message = "cannot open the database (\(sqlite))"
        default:
            errno = EIO
            message = "database error: \(sqlite)"
        }
    }
}
