import Foundation
import GRDB

/// What ``StateDatabase/reclaimFreePages()`` did.
public struct SpaceReclaim: Sendable, Hashable {
    /// Bytes the database file and its WAL gave back to the filesystem.
    public var freedBytes: Int64
    /// Vacuum steps run.
    public var steps: Int
    /// Free pages left inside the file (0 unless the disk had no room for even one step, or the
    /// file does not use incremental auto-vacuum).
    public var remainingFreePages: Int
    /// Why pages remain, when they do.
    public var note: String?
}

/// The free space inside a database file.
public struct FreePages: Sendable, Hashable {
    /// The page size, in bytes.
    public var pageSize: Int
    /// Pages on the freelist: space inside the file that the filesystem cannot use.
    public var freelistPages: Int
    /// Whether the file can give pages back in steps (`auto_vacuum = INCREMENTAL`).
    public var incrementalVacuum: Bool

    /// The bytes on the freelist.
    public var freelistBytes: Int64 { Int64(pageSize) * Int64(freelistPages) }
}

extension StateDatabase {
    /// The freelist and the vacuum mode of this file.
    public func freePages() throws -> FreePages {
        try mappingOpenErrors {
            try writer.read { db in
                FreePages(pageSize: try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096,
                          freelistPages: try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0,
                          incrementalVacuum: try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2)
            }
        }
    }

    /// Gives the database's free pages back to the filesystem in steps that fit the space there
    /// is: each step moves at most as many pages as half the free disk space holds (WAL frames),
    /// then a `wal_checkpoint(TRUNCATE)` copies them into the file, truncates it and empties the
    /// WAL. A step that finds no room is halved down to one page before it gives up.
    ///
    /// A file without incremental auto-vacuum (created before openclaw set it) is converted by
    /// one `VACUUM` when the disk has room for a copy of it; otherwise its pages stay and
    /// ``SpaceReclaim/note`` says why.
    public func reclaimFreePages() throws -> SpaceReclaim {
        let before = fileSizes()
        var steps = 0
        var pages = try freePages()
        var note: String?
        let directory = (path as NSString).deletingLastPathComponent
        if pages.freelistPages > 0, !pages.incrementalVacuum {
            let needed = before.database * 2
            if (DiskSpace.available(at: directory) ?? 0) > needed {
                try mappingOpenErrors {
                    try writer.writeWithoutTransaction { db in
                        try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                        try db.execute(sql: "VACUUM")
                    }
                }
                steps += 1
            } else {
                note = "the file predates incremental vacuum; converting it needs \(needed >> 20) MiB free"
            }
            pages = try freePages()
        }
        // No automatic checkpoint between steps: it would copy into the file pages that the
        // next step frees, growing the file on a disk that has no room for it.
        if journal == .wal {
            _ = try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        }
        defer {
            if journal == .wal {
                let pages = autoCheckpointPages
                _ = try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)") }
            }
        }
        var stepPages = Int.max
        while pages.freelistPages > 0, pages.incrementalVacuum {
            let room = max(Int64(pages.pageSize), (DiskSpace.available(at: directory) ?? 0) / 2)
            stepPages = max(1, min(stepPages, pages.freelistPages, Int(room / Int64(pages.pageSize))))
            do {
                let count = stepPages
                try mappingOpenErrors {
                    try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum(\(count))") }
                }
            } catch let error as StorageError where error.errno == ENOSPC {
                truncateWAL()
                guard stepPages > 1 else {
                    // No room for even one page of WAL: this is what the reserve is for.
                    if let reserve = spaceReserve, reserve.release() {
                        stepPages = Int.max
                        continue
                    }
                    note = "the disk has no room for even one page of WAL"
                    break
                }
                stepPages /= 2
                continue
            }
            steps += 1
            // Checkpoint once the file needs no growth to take the WAL (its last pages were the
            // free ones): the checkpoint then truncates the file and empties the WAL.
            truncateWAL()
            let next = try freePages()
            if next.freelistPages >= pages.freelistPages { break }
            pages = next
            stepPages = Int.max
        }
        truncateWAL()
        let after = fileSizes()
        return SpaceReclaim(freedBytes: max(0, before.database + before.wal - after.database - after.wal), steps: steps,
                            remainingFreePages: pages.freelistPages, note: pages.freelistPages > 0 ? note : nil)
    }

    /// Copies the WAL into the file and empties it, when the file has room for what the WAL
    /// holds; does nothing otherwise (a full disk), leaving every committed frame where it is.
    func truncateWAL() {
        guard journal == .wal, readOnlyReason == nil else { return }
        let pageCount = (try? writer.read { db in try Int64.fetchOne(db, sql: "PRAGMA page_count") }) ?? 0
        let pageSize = (try? writer.read { db in try Int64.fetchOne(db, sql: "PRAGMA page_size") }) ?? 4096
        let growth = pageCount * pageSize - fileSizes().database
        let available = DiskSpace.available(at: (path as NSString).deletingLastPathComponent) ?? 0
        guard growth <= 0 || growth < available else { return }
        let mode = passiveCheckpoints ? "PASSIVE" : "TRUNCATE"
        _ = try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(\(mode))") }
    }

    /// Runs `body`, mapping SQLite errors to ``StorageError``.
    func mappingOpenErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.storageError(error, path: path)
        }
    }
}

extension StateDatabase {
    /// `user_version` as the file's header records it (bytes 60-63), read without SQLite: for
    /// files that cannot be opened (newer, damaged). `nil` when the file has no SQLite header.
    public static func headerUserVersion(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 100), header.count == 100,
              header.prefix(16) == Data("SQLite format 3\u{0}".utf8) else { return nil }
        let bytes = [UInt8](header[60..<64])
        return Int(Int32(bitPattern: UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])))
    }
}
