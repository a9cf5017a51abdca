import Foundation
import GRDB
import Storage

extension VirtualFileSystem {
    /// Runs `body`, a write that frees space (a removal, the discard of a failed upload). When it
    /// fails for lack of space, the state's space reserve is released and `body` runs once more;
    /// the reserve is taken again by ``reclaimSpace()`` once there is room.
    func freeingSpace<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as VFSError where error.errno == ENOSPC {
            guard let reserve = database.spaceReserve, reserve.release() else { throw error }
            return try body()
        }
    }

    /// The operations whose writes free space (or keep it freeable): only they may run while the
    /// space reserve is released.
    static let spaceFreeingOperations: Set<String> = ["rm", "gc", "namespaces rm", "discard", releasedCollectionOperation]

    /// The operation name of ``collectReleasedContents(olderThan:)``.
    static let releasedCollectionOperation = "collect released"

    /// New data never spends the space reserve: while it is released and the disk has not room
    /// for it twice over, a write that adds data fails with `ENOSPC` before it starts.
    func refuseOnReserve(_ operation: String, _ path: String) throws {
        guard let reserve = database.spaceReserve, !reserve.isHeld,
              (DiskSpace.available(at: database.path) ?? .max) < 2 * reserve.bytes else { return }
        throw VFSError(ENOSPC, operation, path, detail: "the disk is full; the space kept in reserve is for removals (openclaw vfs rm) only")
    }

    /// Gives the database's free pages back to the filesystem, in steps that fit the free space
    /// (see `StateDatabase.reclaimFreePages()`), then takes the space reserve again if there is
    /// room for it. Contents released by rewrites and removals are deleted first, whatever their
    /// grace period: space comes before readers of old versions.
    @discardableResult
    public func reclaimSpace() throws -> SpaceReclaim {
        if database.readOnlyReason == nil { _ = try? freeingSpace { try collectReleasedContents(olderThan: .zero) } }
        do {
            let result = try database.reclaimFreePages()
            database.spaceReserve?.replenish()
            return result
        } catch let error as StorageError {
            throw VFSError(error.errno, "reclaim", "/", detail: error.message)
        }
    }

    /// Whether space is short: the reserve is given up, or the disk is nearly full. Removals then
    /// give their pages back to the filesystem at once.
    public var isShortOfSpace: Bool {
        if let reserve = database.spaceReserve, !reserve.isHeld { return true }
        return DiskSpace.isNearlyFull(at: database.path)
    }

    /// Copies committed WAL frames into the database file now (a passive checkpoint, which waits
    /// for no reader). Large writes call it after each staged batch, so that committed data never
    /// piles up in the WAL beyond the end of the file: on a full disk that data could otherwise
    /// be neither checkpointed (the file must grow) nor dropped.
    func checkpoint(_ operation: String, _ path: String) throws {
        guard database.journal == .wal else { return }
        do {
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        } catch let error as DatabaseError {
            throw map(error, operation, path)
        }
    }

    /// After a write failed for lack of space: empties the WAL and gives free pages back, as far
    /// as the disk allows. Best effort; the write's own error is what the caller reports.
    func recoverFromFullDisk() {
        _ = try? reclaimSpace()
    }
}
