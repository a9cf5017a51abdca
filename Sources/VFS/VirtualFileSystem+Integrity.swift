import Foundation
import GRDB
import Storage

/// A file whose stored bytes fail their checksum.
public struct DamagedFile: Sendable, Hashable {
    /// The namespace and path of the file.
    public var namespace: String
    public var path: String
    /// The content it refers to.
    public var contentID: Int64
    /// What is wrong, for example `chunk 3 (bytes 196608-262143) does not match its checksum`.
    public var problem: String
}

/// What ``VirtualFileSystem/verifyContents(progress:)`` found.
public struct ContentVerification: Sendable, Hashable {
    /// Contents checked (inline and chunked, staged uploads included).
    public var contents: Int = 0
    /// Bytes read and checked.
    public var bytes: Int64 = 0
    /// Every file that shows a damaged content, in namespace and path order. A damaged staged
    /// upload (no file refers to it yet) is listed with the namespace `""` and path `""`.
    public var damaged: [DamagedFile] = []
}

/// Uploads staged by writers that have not published them (in progress, or killed).
public struct StagedUploads: Sendable, Hashable {
    /// How many staged contents there are.
    public var count: Int = 0
    /// The bytes their chunks hold.
    public var bytes: Int64 = 0
    /// The idle time of the longest-idle one, in nanoseconds (0 when there are none).
    public var longestIdleNanoseconds: Int64 = 0
    /// Those whose writer is known dead (a process of this host that no longer exists), and
    /// their bytes: garbage that ``VirtualFileSystem/collectKilledUploads()`` removes.
    public var killed: Int = 0
    public var killedBytes: Int64 = 0
}

/// An entry row that no VFS operation could have written: someone edited the database file.
public struct TamperedEntry: Sendable, Hashable {
    public var namespace: String
    public var path: String
    public var name: String
    /// Why it is invalid.
    public var problem: String
}

extension VirtualFileSystem {
    /// Reads every stored content and checks each chunk and each inline content against its
    /// checksum, and that no chunk is missing, from one snapshot; `progress` gets the bytes
    /// checked so far and the total, about every 64 MiB.
    ///
    /// Damage is reported, not thrown: the result names each file that shows it.
    public func verifyContents(progress: (_ checked: Int64, _ total: Int64) -> Void = { _, _ in }) throws -> ContentVerification {
        try read("verify", "/") { db in
            var result = ContentVerification()
            var problems: [Int64: String] = [:]
            let total = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM vfs_contents") ?? 0
            var reported: Int64 = 0
            func advance(_ bytes: Int64) {
                result.bytes += bytes
                if result.bytes - reported >= 64 << 20 {
                    reported = result.bytes
                    progress(result.bytes, total)
                }
            }
            let inline = try Row.fetchCursor(db, sql: """
                SELECT id, inline_data, inline_checksum FROM vfs_contents WHERE inline_data IS NOT NULL
                """)
            while let row = try inline.next() {
                let id: Int64 = row[0]
                let checksum: Int64? = row[2]
                let (size, matches): (Int, Bool) = try row.withUnsafeData(atIndex: 1) { data in
                    guard let data else { return (0, false) }
                    return data.withUnsafeBytes { (data.count, checksum == ContentChecksum.of($0)) }
                }
                result.contents += 1
                advance(Int64(size))
                if !matches { problems[id] = checksum == nil ? "has no checksum" : "does not match its checksum (stored inline)" }
            }
            // In rowid order: a sequential read of the table, whatever the chunk order.
            let chunks = try Row.fetchCursor(db, sql: "SELECT content_id, chunk_index, checksum, data FROM vfs_chunks")
            while let row = try chunks.next() {
                let id: Int64 = row[0]
                let index: Int64 = row[1]
                let checksum: Int64? = row[2]
                let (size, matches): (Int, Bool) = try row.withUnsafeData(atIndex: 3) { data in
                    guard let data else { return (0, false) }
                    return data.withUnsafeBytes { (data.count, checksum == ContentChecksum.of($0)) }
                }
                advance(Int64(size))
                if !matches, problems[id] == nil {
                    problems[id] = "chunk \(index) " + (checksum == nil ? "has no checksum" : "does not match its checksum")
                }
            }
            let chunked = try Row.fetchCursor(db, sql: """
                SELECT c.id, c.size, c.chunk_size, (SELECT count(*) FROM vfs_chunks WHERE content_id = c.id)
                FROM vfs_contents c WHERE c.inline_data IS NULL AND c.staging_since_ns IS NULL
                """)
            while let row = try chunked.next() {
                let id: Int64 = row[0]
                let size: Int64 = row[1]
                let chunkSize: Int64 = row[2]
                let count: Int64 = row[3]
                result.contents += 1
                let expected = chunkSize > 0 ? (size + chunkSize - 1) / chunkSize : 0
                if count != expected, problems[id] == nil {
                    problems[id] = "has \(count) of its \(expected) chunks"
                }
            }
            progress(result.bytes, total)
            result.damaged = try damagedFiles(db, problems)
            return result
        }
    }

    /// The files that refer to damaged contents: one scan of the file entries.
    private func damagedFiles(_ db: Database, _ problems: [Int64: String]) throws -> [DamagedFile] {
        guard !problems.isEmpty else { return [] }
        var files: [DamagedFile] = []
        var referenced: Set<Int64> = []
        let rows = try Row.fetchCursor(db, sql: "SELECT namespace, path, content_id FROM vfs_entries WHERE content_id IS NOT NULL")
        while let row = try rows.next() {
            let id: Int64 = row[2]
            guard let problem = problems[id] else { continue }
            referenced.insert(id)
            files.append(DamagedFile(namespace: row[0], path: row[1], contentID: id, problem: "content \(id) \(problem)"))
        }
        for (id, problem) in problems where !referenced.contains(id) {
            files.append(DamagedFile(namespace: "", path: "", contentID: id, problem: "content \(id) (a staged upload) \(problem)"))
        }
        return files.sorted { ($0.namespace, $0.path, $0.contentID) < ($1.namespace, $1.path, $1.contentID) }
    }

    /// The uploads staged and not yet published.
    public func stagedUploads() throws -> StagedUploads {
        try read("gc", "/") { db in
            var result = StagedUploads()
            let now = SystemClock.nanoseconds()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT staging_owner, staging_since_ns, (SELECT coalesce(sum(length(data)), 0) FROM vfs_chunks WHERE content_id = c.id)
                FROM vfs_contents c WHERE staging_since_ns IS NOT NULL
                """)
            while let row = try rows.next() {
                let owner: String? = row[0]
                let since: Int64 = row[1]
                let bytes: Int64 = row[2]
                result.count += 1
                result.bytes += bytes
                result.longestIdleNanoseconds = max(result.longestIdleNanoseconds, now - since)
                if StagingOwner.isDead(owner) {
                    result.killed += 1
                    result.killedBytes += bytes
                }
            }
            return result
        }
    }

    /// Deletes the staged uploads whose writer is known dead (killed mid-write on this host),
    /// whatever their age, and returns how many went. Uploads in progress are kept.
    @discardableResult
    public func collectKilledUploads() throws -> Int {
        let dead = try read("gc", "/") { db in
            try Row.fetchAll(db, sql: "SELECT id, staging_owner FROM vfs_contents WHERE staging_since_ns IS NOT NULL")
                .filter { StagingOwner.isDead($0[1]) }.map { $0[0] as Int64 }
        }
        guard !dead.isEmpty else { return 0 }
        return try freeingSpace {
            try write("gc", "/") { db in
                var removed = 0
                for id in dead {
                    try db.execute(sql: "DELETE FROM vfs_contents WHERE id = ? AND staging_since_ns IS NOT NULL AND ref_count = 0", arguments: [id])
                    removed += db.changesCount
                }
                return removed
            }
        }
    }

    /// Entry rows that no VFS operation writes: a name that is empty, `.`, `..` or holds a `/`,
    /// or a path that is not its parent joined with its name. Readers skip them.
    public func tamperedEntries() throws -> [TamperedEntry] {
        try read("doctor", "/") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT namespace, path, name, parent FROM vfs_entries
                WHERE name IN ('', '.', '..') OR instr(name, '/') > 0
                   OR path IS NOT (CASE parent WHEN '/' THEN '/' || name ELSE parent || '/' || name END)
                ORDER BY namespace, path
                """)
            return rows.map { row in
                let name: String = row[2]
                let problem = name.isEmpty || name == "." || name == ".." || name.contains("/")
                    ? "the name \(TerminalText.quoted(name).debugDescription) is not a valid file name"
                    : "the path is not its parent joined with its name"
                return TamperedEntry(namespace: row[0], path: row[1], name: name, problem: problem)
            }
        }
    }
}

extension VirtualFileSystem {
    /// Reads what every request of a long-lived reader depends on (the schema, the namespaces,
    /// every entry row's index, the content rows) so that a database whose first pages are
    /// damaged is refused up front with an `EIO` damage error, instead of failing request by
    /// request later. Costs one pass over the indexes, not over the contents.
    public func probe(_ operation: String = "mount") throws {
        try read(operation, "/") { db in
            _ = try Row.fetchAll(db, sql: "SELECT name, entry_count FROM vfs_namespaces")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_entries")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_entries INDEXED BY vfs_entries_by_parent WHERE namespace > ''")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_contents")
        }
    }
}
