import Foundation
import GRDB
import Storage

extension VFSNamespace {
    /// Renames `source` to `destination` with `rename(2)` semantics, moving a directory's whole
    /// subtree in one range update.
    ///
    /// An existing destination file is replaced by a file; an existing empty directory by a
    /// directory. Errors: `ENOENT` (no source or no destination parent), `EISDIR` (file onto
    /// directory), `ENOTDIR` (directory onto file, or a parent that is a file), `ENOTEMPTY`
    /// (onto a non-empty directory), `EINVAL` (a directory into itself), `EBUSY` (the root).
    /// Moving between namespaces is `EXDEV`: see ``VirtualFileSystem/move(_:from:to:in:)``.
    public func move(_ source: String, to destination: String) throws {
        let from = try VFSPath(source, operation: "mv")
        let to = try VFSPath(destination, operation: "mv")
        if from.isRoot { throw VFSError(EBUSY, "mv", from.string, detail: "the namespace root cannot be moved") }
        if to.isRoot { throw VFSError(EBUSY, "mv", to.string) }
        try fileSystem.write("mv", from.string) { db in
            let row = try EntryStore.require(db, name, from, "mv")
            if from == to { return }
            if row.isDirectory, from.contains(to) {
                throw VFSError(EINVAL, "mv", to.string, detail: "cannot move a directory into itself")
            }
            let now = SystemClock.nanoseconds()
            try EntryStore.ensureDirectory(db, name, to.parent, create: false, now: now, "mv", to)
            if let target = try EntryStore.entry(db, name, to) {
                switch (row.isDirectory, target.isDirectory) {
                case (false, true): throw VFSError(EISDIR, "mv", to.string)
                case (true, false): throw VFSError(ENOTDIR, "mv", to.string)
                case (true, true):
                    if try EntryStore.hasChildren(db, name, to) { throw VFSError(ENOTEMPTY, "mv", to.string) }
                case (false, false): break
                }
                try db.execute(sql: "DELETE FROM vfs_entries WHERE namespace = ? AND path = ?", arguments: [name, to.string])
            }
            if row.isDirectory {
                let range = from.descendantRange
                try db.execute(sql: """
                    UPDATE vfs_entries
                    SET path = ?1 || substr(path, length(?2) + 1), parent = ?1 || substr(parent, length(?2) + 1)
                    WHERE namespace = ?3 AND path >= ?4 AND path < ?5
                    """, arguments: [to.string, from.string, name, range.lower, range.upper])
            }
            try db.execute(sql: """
                UPDATE vfs_entries SET path = ?, parent = ?, name = ?, ctime_ns = ? WHERE namespace = ? AND path = ?
                """, arguments: [to.string, to.parent.string, to.name, now, name, from.string])
            try EntryStore.touch(db, name, from.parent, now: now)
            try EntryStore.touch(db, name, to.parent, now: now)
            try EntryStore.logChange(db, name, from, now: now)
            try EntryStore.logChange(db, name, to, now: now)
        }
    }
}

extension VirtualFileSystem {
    /// Moves an entry between namespaces: always `EXDEV`, as `rename(2)` across filesystems.
    /// Copy it with ``copy(_:from:to:in:recursive:)`` and remove the source instead.
    public func move(_ source: String, from sourceNamespace: String, to destination: String, in destinationNamespace: String) throws {
        if sourceNamespace == destinationNamespace {
            return try namespace(sourceNamespace).move(source, to: destination)
        }
        throw VFSError(EXDEV, "mv", source, detail: "cannot move from namespace '\(sourceNamespace)' to '\(destinationNamespace)'; copy and remove instead")
    }

    /// Copies the entry at `source` to `destination`, within or across namespaces, without
    /// copying file contents: the copy shares them until either side is rewritten.
    ///
    /// A file replaces an existing destination file (`EISDIR` if the destination is a directory).
    /// A directory needs `recursive` (else `EISDIR`) and a destination that does not exist
    /// (`EEXIST`); copying a directory into itself is `EINVAL`. The destination's parent must
    /// exist. Returns the number of entries created.
    @discardableResult
    public func copy(_ source: String, from sourceNamespace: String, to destination: String, in destinationNamespace: String, recursive: Bool = false) throws -> Int {
        let from = try VFSPath(source, operation: "cp")
        let to = try VFSPath(destination, operation: "cp")
        let sourceName = try NamespaceName.validate(sourceNamespace, operation: "cp")
        let destinationName = try NamespaceName.validate(destinationNamespace, operation: "cp")
        let sourceSpace = VFSNamespace(name: sourceName, fileSystem: self)
        return try write("cp", from.string) { db in
            let top = try sourceSpace.stat(db, from, "cp")
            if top.isDirectory && !recursive { throw VFSError(EISDIR, "cp", from.string, detail: "use -r to copy a directory") }
            if to.isRoot { throw VFSError(EEXIST, "cp", to.string) }
            if sourceName == destinationName, top.isDirectory, from.contains(to) {
                throw VFSError(EINVAL, "cp", to.string, detail: "cannot copy a directory into itself")
            }
            let now = SystemClock.nanoseconds()
            let before = try EntryStore.ensureNamespace(db, destinationName, now: now)
            let maxFile = EntryStore.maxFileBytes(before, limits)
            let largest: Int64
            if top.isDirectory {
                let range = from.descendantRange
                largest = try Int64.fetchOne(db, sql: "SELECT max(size) FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ?",
                                             arguments: [sourceName, range.lower, range.upper]) ?? 0
            } else {
                largest = top.size
            }
            if largest > maxFile {
                throw VFSError(EFBIG, "cp", to.string, detail: "a \(largest)-byte file is over the file size limit of \(maxFile) in namespace '\(destinationName)'")
            }
            try EntryStore.ensureDirectory(db, destinationName, to.parent, create: false, now: now, "cp", to)
            if let target = try EntryStore.entry(db, destinationName, to) {
                if target.isDirectory { throw VFSError(top.isDirectory ? EEXIST : EISDIR, "cp", to.string) }
                if top.isDirectory { throw VFSError(ENOTDIR, "cp", to.string) }
                if sourceName == destinationName, from == to { throw VFSError(EINVAL, "cp", to.string, detail: "source and destination are the same file") }
                try db.execute(sql: "DELETE FROM vfs_entries WHERE namespace = ? AND path = ?", arguments: [destinationName, to.string])
            }
            var created = 0
            if from.isRoot {
                // Copy the root's children into the new directory.
                try EntryStore.insert(db, destinationName, to, isDirectory: true, mode: 0o755, size: 0, mtime: now, ctime: now, contentID: nil, metadataJSON: "{}")
            } else {
                try db.execute(sql: """
                    INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json)
                    SELECT ?, ?, ?, ?, kind, mode, size, mtime_ns, ?, content_id, metadata_json
                    FROM vfs_entries WHERE namespace = ? AND path = ?
                    """, arguments: [destinationName, to.string, to.parent.string, to.name, now, sourceName, from.string])
            }
            created += 1
            if top.isDirectory {
                let range = from.descendantRange
                let prefix = from.isRoot ? "" : from.string
                try db.execute(sql: """
                    INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json)
                    SELECT ?1, ?2 || substr(path, length(?3) + 1),
                           CASE WHEN parent = ?4 THEN ?5 ELSE ?2 || substr(parent, length(?3) + 1) END,
                           name, kind, mode, size, mtime_ns, ?6, content_id, metadata_json
                    FROM vfs_entries WHERE namespace = ?7 AND path >= ?8 AND path < ?9
                    """, arguments: [destinationName, to.string, prefix, from.string, to.string, now, sourceName, range.lower, range.upper])
                created += db.changesCount
            }
            try EntryStore.touch(db, destinationName, to.parent, now: now)
            try EntryStore.checkQuota(db, destinationName, before: before, limits: limits, "cp", to.string)
            try EntryStore.logChange(db, destinationName, to, now: now)
            return created
        }
    }
}
