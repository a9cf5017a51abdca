import GRDB
import GRDBSQLite

/// The floor of the VFS read path on this machine: the same lookups the VFS makes, through
/// SQLite's C API on one connection with prepared statements and nothing else (no pool, no Swift
/// rows, no checksum). What the VFS adds per call is the distance to it.
final class SQLiteFloor {
    private let connection: OpaquePointer
    private let lookup: OpaquePointer
    private let chunks: OpaquePointer
    private let statLookup: OpaquePointer

    /// Opens `path` read-only; `cacheKiB` sets the page cache (`nil`: SQLite's default, 2 MB),
    /// `mmapBytes` the memory map (`mmap_size`; 0: none, SQLite's default).
    init(path: String, cacheKiB: Int? = nil, mmapBytes: Int = 0) throws {
        var connection: OpaquePointer?
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let connection else {
            throw BenchError("sqlite3_open_v2 \(path) failed")
        }
        func prepare(_ sql: String) throws -> OpaquePointer {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
                let message = String(cString: sqlite3_errmsg(connection))
                sqlite3_close_v2(connection)
                throw BenchError("sqlite3_prepare_v3 failed: \(message)")
            }
            return statement
        }
        if let cacheKiB, sqlite3_exec(connection, "PRAGMA cache_size = -\(cacheKiB)", nil, nil, nil) != SQLITE_OK {
            sqlite3_close_v2(connection)
            throw BenchError("PRAGMA cache_size failed")
        }
        if mmapBytes > 0, sqlite3_exec(connection, "PRAGMA mmap_size = \(mmapBytes)", nil, nil, nil) != SQLITE_OK {
            sqlite3_close_v2(connection)
            throw BenchError("PRAGMA mmap_size failed")
        }
        self.connection = connection
        lookup = try prepare("""
            SELECT c.inline_data, e.content_id FROM vfs_entries e JOIN vfs_contents c ON c.id = e.content_id
            WHERE e.namespace = ?1 AND e.path = ?2
            """)
        chunks = try prepare("SELECT data FROM vfs_chunks WHERE content_id = ?1 ORDER BY chunk_index")
        statLookup = try prepare("""
            SELECT e.kind, e.mode, e.size, e.mtime_ns, e.ctime_ns, e.content_id, e.metadata_json, c.sha256
            FROM vfs_entries e LEFT JOIN vfs_contents c ON c.id = e.content_id WHERE e.namespace = ?1 AND e.path = ?2
            """)
    }

    deinit {
        sqlite3_finalize(lookup)
        sqlite3_finalize(chunks)
        sqlite3_finalize(statLookup)
        sqlite3_close_v2(connection)
    }

    /// Reads the file at `path` of `namespace` (its inline bytes or its chunks) and returns its size.
    func read(_ namespace: String, _ path: String) throws -> Int {
        defer { sqlite3_reset(lookup) }
        try step(lookup, namespace, path)
        if sqlite3_column_type(lookup, 0) != SQLITE_NULL {
            _ = sqlite3_column_blob(lookup, 0)
            return Int(sqlite3_column_bytes(lookup, 0))
        }
        let contentID = sqlite3_column_int64(lookup, 1)
        defer { sqlite3_reset(chunks) }
        sqlite3_bind_int64(chunks, 1, contentID)
        var total = 0
        while sqlite3_step(chunks) == SQLITE_ROW {
            _ = sqlite3_column_blob(chunks, 0)
            total += Int(sqlite3_column_bytes(chunks, 0))
        }
        return total
    }

    /// The `stat` of the entry at `path` of `namespace`, as the VFS's: every column of the entry
    /// and its content's hash touched once (no Swift values made; the path is the one looked
    /// up, as the VFS takes it). Returns its size.
    func stat(_ namespace: String, _ path: String) throws -> Int64 {
        defer { sqlite3_reset(statLookup) }
        try step(statLookup, namespace, path)
        // Column by column, without an array: the floor allocates nothing.
        _ = sqlite3_column_text(statLookup, 0)
        _ = sqlite3_column_int64(statLookup, 1)
        _ = sqlite3_column_int64(statLookup, 3)
        _ = sqlite3_column_int64(statLookup, 4)
        _ = sqlite3_column_int64(statLookup, 5)
        _ = sqlite3_column_text(statLookup, 6)
        _ = sqlite3_column_blob(statLookup, 7)
        return sqlite3_column_int64(statLookup, 2)
    }

    /// Binds `namespace` and `path` to `statement` and steps it to its row.
    private func step(_ statement: OpaquePointer, _ namespace: String, _ path: String) throws {
        let found = namespace.withCString { name in
            path.withCString { path in
                // SQLITE_STATIC (nil): the strings outlive the step.
                sqlite3_bind_text(statement, 1, name, -1, nil)
                sqlite3_bind_text(statement, 2, path, -1, nil)
                return sqlite3_step(statement)
            }
        }
        guard found == SQLITE_ROW else { throw BenchError("no entry \(path) in \(namespace) (sqlite3_step \(found))") }
    }

    /// Runs `body` inside one read transaction of this connection.
    func inOneTransaction(_ body: () throws -> Void) throws {
        guard sqlite3_exec(connection, "BEGIN", nil, nil, nil) == SQLITE_OK else { throw BenchError("BEGIN failed") }
        defer { sqlite3_exec(connection, "COMMIT", nil, nil, nil) }
        try body()
    }
}
