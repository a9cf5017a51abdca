import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

extension VFSNamespace {
    /// Writes the entry at `path` and everything beneath it into the host directory
    /// `hostDirectory` (created if missing), from one consistent snapshot, with the stored modes
    /// and modification times. Existing host files of the same names are replaced.
    ///
    /// Everything is checked before anything is written: when a host path would not fit in
    /// `PATH_MAX` (4096 bytes with its NUL), the export fails with `ENAMETOOLONG` and writes
    /// nothing. Rows of `vfs_entries` that were edited by hand (a path that is not canonical or
    /// not beneath `path`, a `name` of `..` or with a `/`, a name or parent that does not match
    /// the path) are never written, nor anything inside them: they are listed in the report's
    /// `skipped`. Names are written as the bytes they are stored as, never normalized.
    @discardableResult
    public func exportDirectory(_ path: String = "/", to hostDirectory: String, progress: ((HostTransferProgress) -> Void)? = nil) throws -> HostTransferReport {
        let root = try VFSPath(path, operation: "export")
        return try fileSystem.read("export", root.string) { db in
            let top = try stat(db, root, "export")
            var report = HostTransferReport()
            func hostPath(of entry: VFSEntry) -> String {
                if !top.isDirectory { return hostDirectory + "/" + top.name }
                // Cut by bytes, not `Character`s: a `Character` may span the root's end and the `/`.
                let relative = root.isRoot ? entry.path : String(entry.path.utf8.dropFirst(root.string.utf8.count)) ?? ""
                return hostDirectory + relative
            }
            let skipped: Set<PathKey>
            if top.isDirectory {
                skipped = try checkExport(db, root, hostPath: hostPath, &report)
            } else {
                try Self.checkHostPathLength(hostPath(of: top), top.path)
                skipped = []
            }
            try HostFile.makeDirectories(hostDirectory, mode: 0o755, "export")
            let usage = top.isDirectory ? try diskUsageRow(db, root) : (bytes: top.size, files: Int64(1))
            var throttle = ProgressThrottle()
            var directories: [(path: String, mode: UInt32, mtime: Int64)] = []
            func export(_ entry: VFSEntry) throws {
                if skipped.contains(PathKey(entry.path)) { return }
                let target = hostPath(of: entry)
                if entry.isDirectory {
                    try HostFile.makeDirectoryNoFollow(target, mode: entry.mode, "export")
                    directories.append((target, entry.mode, entry.mtimeNanoseconds))
                    report.directories += 1
                    return
                }
                try exportFile(db, entry, to: target)
                report.files += 1
                report.bytes += entry.size
                if let progress, throttle.due() {
                    progress(HostTransferProgress(files: report.files, directories: report.directories, bytes: report.bytes, totalFiles: Int(usage.files), totalBytes: usage.bytes))
                }
            }
            if top.isDirectory {
                try walkDescendants(db, root, export)
                if !root.isRoot { directories.append((hostDirectory, top.mode, top.mtimeNanoseconds)) }
            } else {
                try export(top)
            }
            // Exact modes and times last, deepest first: children were written into them.
            for directory in directories.reversed() {
                _ = chmod(directory.path, mode_t(directory.mode))
                HostFile.setModificationTime(path: directory.path, directory.mtime)
            }
            progress?(HostTransferProgress(files: report.files, directories: report.directories, bytes: report.bytes, totalFiles: Int(usage.files), totalBytes: usage.bytes))
            return report
        }
    }

    private func diskUsageRow(_ db: Database, _ root: VFSPath) throws -> (bytes: Int64, files: Int64) {
        let range = root.descendantRange
        let row = try Row.fetchOne(db, sql: "SELECT coalesce(sum(size), 0), coalesce(sum(kind = 'file'), 0) FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ?",
                                   arguments: [name, range.lower, range.upper])
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    private func exportFile(_ db: Database, _ entry: VFSEntry, to target: String) throws {
        let path = try VFSPath(entry.path)
        let content = try openContent(db, path, "export")
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode_t(entry.mode))
        guard fd >= 0 else {
            let code = errno
            throw VFSError(code, "export", target, detail: code == ELOOP ? "refusing to follow a symbolic link in the target" : nil)
        }
        defer { close(fd) }
        if let inline = content.inline {
            try HostFile.writeAll(fd, inline, "export", target)
        } else {
            try ContentStore.forEachChunk(db, content, from: 0, to: content.size, "export", entry.path) { chunk in
                try HostFile.writeAll(fd, chunk, "export", target)
            }
        }
        _ = fchmod(fd, mode_t(entry.mode))
        HostFile.setModificationTime(fd: fd, entry.mtimeNanoseconds)
    }
}
