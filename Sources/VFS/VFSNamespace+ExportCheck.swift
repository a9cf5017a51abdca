import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

extension VFSNamespace {
    /// The first pass of an export, in its snapshot, before anything is written: fails with
    /// `ENAMETOOLONG` if a host path would not fit, and returns the entries not to write (rows
    /// edited by hand and everything inside them), adding each to `report.skipped`.
    func checkExport(_ db: Database, _ root: VFSPath, hostPath: (VFSEntry) -> String, _ report: inout HostTransferReport) throws -> Set<PathKey> {
        let inconsistent = try inconsistentRows(db, root)
        var skipped = Set<PathKey>()
        var skippedDirectories: [String] = []
        var tooLong: [(host: String, path: String)] = []
        try walkDescendants(db, root) { entry in
            let reason: String
            if let directory = skippedDirectories.first(where: { PathKey.isPath(entry.path, atOrBeneath: $0) }) {
                reason = "inside skipped directory \(TerminalText.quoted(directory))"
            } else if !VFSPath.isCanonical(entry.path) || !PathKey.isPath(entry.path, atOrBeneath: root.string) {
                reason = "the stored path is not a canonical path beneath \(TerminalText.quoted(root.string)) (a vfs_entries row edited by hand)"
            } else if inconsistent.contains(PathKey(entry.path)) {
                reason = "the stored name or parent does not match the path (a vfs_entries row edited by hand)"
            } else {
                let host = hostPath(entry)
                if host.utf8.count >= Int(PATH_MAX) { tooLong.append((host, entry.path)) }
                return
            }
            skipped.insert(PathKey(entry.path))
            if entry.isDirectory { skippedDirectories.append(entry.path) }
            report.skipped.append(SkippedHostEntry(path: entry.path, reason: reason))
        }
        if let first = tooLong.first {
            let count = tooLong.count == 1 ? "a host path" : "\(tooLong.count) host paths"
            throw VFSError(ENAMETOOLONG, "export", first.path,
                           detail: "\(count) would be longer than PATH_MAX (\(PATH_MAX) bytes with the NUL), the first \(first.host.utf8.count) bytes; nothing was written")
        }
        return skipped
    }

    /// Fails with `ENAMETOOLONG` when `host`, written for the VFS path `path`, would not fit
    /// in `PATH_MAX`.
    static func checkHostPathLength(_ host: String, _ path: String) throws {
        guard host.utf8.count >= Int(PATH_MAX) else { return }
        throw VFSError(ENAMETOOLONG, "export", path,
                       detail: "the host path would be \(host.utf8.count) bytes, longer than PATH_MAX (\(PATH_MAX) bytes with the NUL); nothing was written")
    }

    /// The paths beneath `root` whose row disagrees with itself: a `name` that is empty, `.`,
    /// `..` or holds a `/`, or a `parent` and `name` that do not make up the `path`. Compared
    /// in SQLite's BINARY collation, byte for byte.
    private func inconsistentRows(_ db: Database, _ root: VFSPath) throws -> Set<PathKey> {
        let range = root.descendantRange
        let paths = try String.fetchAll(db, sql: """
            SELECT path FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ?
            AND (name IN ('', '.', '..') OR instr(name, '/') > 0
                 OR path IS NOT (CASE WHEN parent = '/' THEN '/' ELSE parent || '/' END) || name)
            """, arguments: [name, range.lower, range.upper])
        return Set(paths.map(PathKey.init))
    }
}
