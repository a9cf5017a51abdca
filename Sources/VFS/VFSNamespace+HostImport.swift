import Crypto
import Foundation
import GRDB
import Storage
#if canImport(Glibc)
import Glibc
#endif

extension VFSNamespace {
    private struct PlannedEntry {
        var hostPath: String
        var path: VFSPath
        var status: HostFile.Status
    }

    /// Imports the tree under the host directory `hostDirectory` into `destination` (created if
    /// missing), in one transaction: afterwards the whole tree is there, or, after any failure,
    /// nothing changed.
    ///
    /// Regular files and directories are imported with their modes and modification times;
    /// existing files are replaced. Symbolic links, special files and names the VFS cannot hold
    /// are skipped and listed in the report. `progress` is called a few times per second.
    @discardableResult
    public func importDirectory(_ hostDirectory: String, to destination: String = "/", progress: ((HostTransferProgress) -> Void)? = nil) throws -> HostTransferReport {
        let root = try VFSPath(destination, operation: "import")
        let top = try HostFile.status(hostDirectory, "import")
        guard top.isDirectory else { throw VFSError(ENOTDIR, "import", hostDirectory) }
        var report = HostTransferReport()
        var plan: [PlannedEntry] = []
        try scan(hostDirectory, into: root, &plan, &report)
        let totalFiles = plan.count { !$0.status.isDirectory }
        let totalBytes = plan.reduce(Int64(0)) { $0 + ($1.status.isDirectory ? 0 : $1.status.size) }
        var throttle = ProgressThrottle()
        var buffer = [UInt8](repeating: 0, count: limits.chunkSize)
        try fileSystem.write("import", root.string) { db in
            let now = SystemClock.nanoseconds()
            let before = try EntryStore.ensureNamespace(db, name, now: now)
            let maxFile = EntryStore.maxFileBytes(before, limits)
            var changed = root
            if !root.isRoot {
                if let existing = try EntryStore.entry(db, name, root) {
                    guard existing.isDirectory else { throw VFSError(ENOTDIR, "import", root.string) }
                } else {
                    changed = try EntryStore.ensureDirectory(db, name, root, create: true, now: now, "import", root) ?? root
                }
            }
            try EntryStore.logChange(db, name, changed, now: now)
            // The contents first, then every entry: the entries' pages (the table and the listing
            // index) are then allocated together after the contents' pages instead of between
            // them, so a cold walk of the tree (a fresh mount's `find`, `ls -R`) reads a few
            // neighbouring pages, not one page between each file's chunks.
            var contents: [(id: Int64, size: Int64)] = []
            contents.reserveCapacity(totalFiles)
            for item in plan where !item.status.isDirectory {
                let content = try insertHostFile(db, item.hostPath, item.path, maxFile: maxFile, buffer: &buffer)
                contents.append(content)
                report.files += 1
                report.bytes += content.size
                if let progress, throttle.due() {
                    progress(HostTransferProgress(files: report.files, directories: report.directories, bytes: report.bytes, totalFiles: totalFiles, totalBytes: totalBytes))
                }
            }
            var nextContent = contents.makeIterator()
            for item in plan {
                if item.status.isDirectory {
                    if let existing = try EntryStore.entry(db, name, item.path) {
                        guard existing.isDirectory else { throw VFSError(ENOTDIR, "import", item.path.string, detail: "a file is in the way of directory \(item.hostPath)") }
                        try db.execute(sql: "UPDATE vfs_entries SET mode = ?, mtime_ns = ? WHERE namespace = ? AND path = ?",
                                       arguments: [Int64(item.status.mode), item.status.mtime, name, item.path.string])
                    } else {
                        try EntryStore.insert(db, name, item.path, isDirectory: true, mode: item.status.mode, size: 0,
                                              mtime: item.status.mtime, ctime: now, contentID: nil, metadataJSON: "{}")
                    }
                    report.directories += 1
                    continue
                }
                guard let content = nextContent.next() else { throw VFSError(EIO, "import", item.path.string, detail: "no content staged for this file") }
                let options = WriteOptions(mode: item.status.mode, mtimeNanoseconds: item.status.mtime, createParents: false)
                _ = try link(db, item.path, contentID: content.id, size: content.size, options: options, metadata: nil, now: now, before: before, inBatch: true, "import")
            }
            // Directory times last, since creating children touched them; the destination takes
            // the host directory's time, as `cp -a` would give it.
            for item in plan where item.status.isDirectory {
                try db.execute(sql: "UPDATE vfs_entries SET mtime_ns = ? WHERE namespace = ? AND path = ?", arguments: [item.status.mtime, name, item.path.string])
            }
            if root.isRoot {
                try db.execute(sql: "UPDATE vfs_namespaces SET updated_at_ns = ? WHERE name = ?", arguments: [top.mtime, name])
            } else {
                try db.execute(sql: "UPDATE vfs_entries SET mtime_ns = ? WHERE namespace = ? AND path = ?", arguments: [top.mtime, name, root.string])
            }
            try EntryStore.checkQuota(db, name, before: before, limits: limits, "import", root.string)
        }
        progress?(HostTransferProgress(files: report.files, directories: report.directories, bytes: report.bytes, totalFiles: totalFiles, totalBytes: totalBytes))
        return report
    }

    /// Lists what to import, parents before children, skipping what cannot be imported.
    private func scan(_ hostDirectory: String, into directory: VFSPath, _ plan: inout [PlannedEntry], _ report: inout HostTransferReport) throws {
        for rawName in try HostFile.names(in: hostDirectory, "import") {
            let hostPath = hostDirectory + "/" + String(decoding: rawName, as: UTF8.self)
            guard String(validating: rawName, as: UTF8.self) != nil else {
                report.skipped.append(SkippedHostEntry(path: hostPath, reason: "name is not valid UTF-8 (EILSEQ)"))
                continue
            }
            let path: VFSPath
            do {
                path = try VFSPath(bytes: (directory.isRoot ? [] : Array(directory.string.utf8)) + [UInt8(ascii: "/")] + rawName)
            } catch let error as VFSError {
                report.skipped.append(SkippedHostEntry(path: hostPath, reason: "\(error.errnoText) (\(error.errnoName))"))
                continue
            }
            let status = try HostFile.lstatus(hostPath, "import")
            if status.isDirectory {
                plan.append(PlannedEntry(hostPath: hostPath, path: path, status: status))
                try scan(hostPath, into: path, &plan, &report)
            } else if status.isRegular {
                plan.append(PlannedEntry(hostPath: hostPath, path: path, status: status))
            } else {
                report.skipped.append(SkippedHostEntry(path: hostPath, reason: status.isSymlink ? "symbolic link" : "special file"))
            }
        }
    }

    /// Streams one host file into a new content row inside the current transaction.
    private func insertHostFile(_ db: Database, _ hostPath: String, _ path: VFSPath, maxFile: Int64, buffer: inout [UInt8]) throws -> (id: Int64, size: Int64) {
        let fd = try HostFile.openForReading(hostPath, "import")
        defer { close(fd) }
        return try buffer.withUnsafeMutableBytes { raw in
            let first = try HostFile.read(fd, into: raw, "import", hostPath)
            if first < raw.count, first <= limits.inlineLimit {
                if Int64(first) > maxFile { throw VFSError(EFBIG, "import", path.string, detail: "\(hostPath) is over the file size limit of \(maxFile) bytes") }
                let content = try ContentStore.insert(db, UnsafeRawBufferPointer(rebasing: raw[0..<first]), limits: limits)
                return (content.id, Int64(first))
            }
            // Staged inside this transaction, so no other connection ever sees it unfinished.
            let id = try ContentStore.beginStaging(db, chunkSize: limits.chunkSize, now: SystemClock.nanoseconds())
            var hasher = SHA256()
            var size: Int64 = 0
            var count = first
            var index: Int64 = 0
            while count > 0 {
                size += Int64(count)
                if size > maxFile { throw VFSError(EFBIG, "import", path.string, detail: "\(hostPath) is over the file size limit of \(maxFile) bytes") }
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                hasher.update(bufferPointer: bytes)
                try ContentStore.insertChunks(db, id, bytes, firstIndex: index, chunkSize: limits.chunkSize)
                index += 1
                // A short read is the end of the file: a file growing meanwhile must not add a
                // chunk after a short one.
                count = count < raw.count ? 0 : try HostFile.read(fd, into: raw, "import", hostPath)
            }
            try ContentStore.finishStaging(db, id, size: size, sha256: Data(hasher.finalize()), "import", path.string)
            return (id, size)
        }
    }
}
