import Foundation
import GRDB
import Storage

extension VFSNamespace {
    /// Removes the entry at `path` and returns how many entries went.
    ///
    /// A file is unlinked. A directory is removed when empty, or with everything beneath it when
    /// `recursive` is set (one range delete); otherwise `ENOTEMPTY`. The root cannot be removed
    /// (`EBUSY`); remove the namespace instead.
    ///
    /// It works on a full disk: a removal that finds no room for its WAL releases the state's
    /// space reserve and runs again. When space is short (the reserve released, or the disk
    /// nearly full) the freed pages go back to the filesystem at once (``VirtualFileSystem/reclaimSpace()``);
    /// otherwise they stay in the file for the next writes.
    @discardableResult
    public func remove(_ path: String, recursive: Bool = false) throws -> Int {
        let path = try VFSPath(path, operation: "rm")
        if path.isRoot { throw VFSError(EBUSY, "rm", path.string, detail: "the namespace root cannot be removed; remove the namespace instead") }
        let removed = try fileSystem.freeingSpace { try removeEntries(path, recursive: recursive) }
        if fileSystem.isShortOfSpace { _ = try? fileSystem.reclaimSpace() }
        return removed
    }

    private func removeEntries(_ path: VFSPath, recursive: Bool) throws -> Int {
        try fileSystem.write("rm", path.string) { db in
            let row = try EntryStore.require(db, name, path, "rm")
            let now = SystemClock.nanoseconds()
            var removed = 0
            if row.isDirectory {
                if try EntryStore.hasChildren(db, name, path) {
                    guard recursive else { throw VFSError(ENOTEMPTY, "rm", path.string) }
                    let range = path.descendantRange
                    try db.execute(sql: "DELETE FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ?",
                                   arguments: [name, range.lower, range.upper])
                    removed += db.changesCount
                }
            }
            try db.cachedStatement(sql: "DELETE FROM vfs_entries WHERE namespace = ? AND path = ?").execute(arguments: [name, path.string])
            removed += db.changesCount
            try EntryStore.touch(db, name, path.parent, now: now)
            try EntryStore.logChange(db, name, path, now: now)
            return removed
        }
    }
}
