import Foundation
import GRDB

/// The outcome of copying one database with ``StateDatabase/backup(to:)``.
public struct DatabaseBackup: Sendable {
    /// The source database file.
    public var sourcePath: String
    /// The consistent copy.
    public var destinationPath: String
    /// The size of the copy in bytes.
    public var bytes: Int64
}

extension StateDatabase {
    /// Writes a consistent, compacted copy of this database to `destination` with `VACUUM INTO`,
    /// then proves it sound with `PRAGMA integrity_check` on the copy.
    ///
    /// The copy has no WAL or shared-memory sidecar and is created with mode 0600. Writers keep
    /// working while it runs; the copy holds the state of one committed transaction.
    public func backup(to destination: String) throws -> DatabaseBackup {
        if FileManager.default.fileExists(atPath: destination) {
            throw StorageError(.backupFailed, path: destination, message: "already exists; choose another output", errno: EEXIST)
        }
        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        do {
            let readOnly = readOnlyReason != nil
            try writer.writeWithoutTransaction { db in
                // A read-only database is copied too (a backup of a read-only volume): its
                // connection is opened read-only, and `query_only`, which also refuses VACUUM INTO,
                // is lifted for the copy alone.
                if readOnly { try db.execute(sql: "PRAGMA query_only = OFF") }
                defer { if readOnly { try? db.execute(sql: "PRAGMA query_only = ON") } }
                try db.execute(sql: "VACUUM INTO ?", arguments: [destination])
            }
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: destination)
            throw StorageError(.backupFailed, path: path, message: "VACUUM INTO \(destination) failed: \(error.message ?? "\(error)")", errno: EIO)
        }
        var config = Configuration()
        config.readonly = true
        let messages: [String]
        do {
            let copy = try DatabaseQueue(path: destination, configuration: config)
            messages = try copy.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            try copy.close()
        } catch let error as DatabaseError {
            throw StorageError(.integrityCheckFailed, path: destination, message: "cannot check the copy: \(error.message ?? "\(error)")", errno: EIO)
        }
        guard messages == ["ok"] else {
            throw StorageError(.integrityCheckFailed, path: destination, message: "integrity_check of the copy failed: \(messages.prefix(5).joined(separator: "; "))", errno: EIO)
        }
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: destination))?[.size] as? NSNumber)?.int64Value ?? 0
        return DatabaseBackup(sourcePath: path, destinationPath: destination, bytes: bytes)
    }
}
