import Foundation
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

    /// Gives the database's free pages back to the filesystem, in steps that fit the free space
    /// (see `StateDatabase.reclaimFreePages()`), then takes the space reserve again if there is
    /// room for it.
    @discardableResult
    public func reclaimSpace() throws -> SpaceReclaim {
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
    var isShortOfSpace: Bool {
        if let reserve = database.spaceReserve, !reserve.isHeld { return true }
        return DiskSpace.isNearlyFull(at: database.path)
    }

    /// After a write failed for lack of space: empties the WAL and gives free pages back, as far
    /// as the disk allows. Best effort; the write's own error is what the caller reports.
    func recoverFromFullDisk() {
        _ = try? reclaimSpace()
    }
}
