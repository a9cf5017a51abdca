import Foundation
import GRDB
import GRDBSQLite

/// One SQLite state database file, opened with openclaw's connection policy and schema envelope.
///
/// The connection policy: WAL with `synchronous=NORMAL` (or a rollback journal with
/// `synchronous=FULL` on network and VM filesystems), `foreign_keys=ON`, a busy timeout, a bounded
/// WAL. Writes go through one serialized writer connection and reads through a pool of read
/// connections, so readers never wait for the writer.
///
/// The schema envelope: `PRAGMA user_version` and `schema_meta` record the envelope version and
/// the database's identity; `schema_components` records the version of each module's tables.
/// Opening a newer file, or another agent's file, fails with a message that says what to do.
public final class StateDatabase: Sendable {
    /// The version of the envelope (`schema_meta`, `schema_components`) this build writes.
    public static let envelopeVersion = 1

    /// The database file.
    public let path: String
    /// What the file is for.
    public let identity: DatabaseIdentity
    /// The journal in use.
    public let journal: JournalPolicy
    /// Why that journal was chosen.
    public let journalReason: String
    /// The serialized writer and its read connections. Other modules go through ``read(_:)``,
    /// ``write(_:)`` and the few connection-level calls beside them (StateDatabase+Access.swift).
    let writer: any DatabaseWriter
    /// The reserve of disk space that operations freeing space may release.
    public let spaceReserve: SpaceReserve?
    /// The WAL pages that trigger an automatic checkpoint on commit.
    let autoCheckpointPages: Int
    /// Whether checkpoints are PASSIVE only (see ``StateDatabaseOptions/passiveCheckpoints``).
    let passiveCheckpoints: Bool
    /// Why the database accepts no writes, or `nil` when it does: opened for reading only, or
    /// in a directory that cannot be written (``ReadOnlyMedia``). Every write then fails with
    /// `SQLITE_READONLY` (`EROFS`) and this reason.
    public let readOnlyReason: String?
    /// Whether the file was opened `immutable` (a read-only directory without the WAL's index
    /// file, which SQLite cannot create there): nothing else may change it while it is open.
    public let isImmutable: Bool
    /// Read-only connections for single-statement lookups beside the pool (WAL only; see
    /// ``readWithoutTransaction(_:)``).
    let lookups: LookupConnections?

    /// Opens (creating if needed) the database at `path` and brings `components` up to date.
    ///
    /// - throws: ``StorageError`` with `.newerSchema`, `.identityMismatch`, `.cannotOpen` or `.corrupt`.
    public init(path: String, identity: DatabaseIdentity, components: [SchemaComponent], options: StateDatabaseOptions = .init()) throws {
        self.path = path
        self.identity = identity
        self.spaceReserve = options.spaceReserve
        self.autoCheckpointPages = options.autoCheckpointPages
        self.passiveCheckpoints = options.passiveCheckpoints
        let directory = (path as NSString).deletingLastPathComponent
        let detected = options.journalPolicy.map { ($0, "requested") } ?? JournalPolicy.detect(forDirectory: directory.isEmpty ? "." : directory)
        self.journal = detected.0
        self.journalReason = detected.1
        // On read-only media the database is read as it is; nothing is created or migrated.
        let media = ReadOnlyMedia.reason(forDirectory: directory.isEmpty ? "." : directory)
        var options = options
        if media != nil { options.readOnly = true }
        self.readOnlyReason = media ?? (options.readOnly ? "it was opened for reading only" : nil)
        if FileManager.default.fileExists(atPath: path) {
            try Self.refuseEmptyFile(path)
        } else if options.readOnly {
            throw StorageError(.cannotOpen, path: path, message: media.map { "does not exist (\($0))" } ?? "does not exist", errno: ENOENT)
        } else {
            try FilePermissions.createPrivateDirectory(directory.isEmpty ? "." : directory)
            try Self.create(path: path, identity: identity, components: components, journal: detected.0, options: options)
        }
        let opened: (writer: any DatabaseWriter, immutable: Bool)
        do {
            opened = try Self.open(path: path, identity: identity, components: components, journal: detected.0, options: options)
        } catch let error as StorageError where error.errno == ENOSPC {
            // Opening writes (GRDB starts an empty WAL with a transaction; a migration writes): on
            // a full disk, the reserve makes room, so that reads and removals keep working.
            guard let reserve = options.spaceReserve, reserve.release() else { throw error }
            opened = try Self.open(path: path, identity: identity, components: components, journal: detected.0, options: options)
        }
        (writer, isImmutable) = opened
        lookups = Self.makeLookups(path: opened.immutable ? Self.immutableURI(path) : path, journal: detected.0, options: options)
    }

    /// What marks this database's accesses on a thread (``AccessMark``): its writer's identity.
    var accessOwner: ObjectIdentifier { ObjectIdentifier(writer) }

    /// The lookup connections of a WAL database: as many as the pool has readers, opened on demand.
    private static func makeLookups(path: String, journal: JournalPolicy, options: StateDatabaseOptions) -> LookupConnections? {
        guard journal == .wal else { return nil }
        var options = options
        options.mmapSizeBytes = max(options.mmapSizeBytes, options.lookupMmapSizeBytes)
        var configuration = makeConfiguration(path: path, journal: journal, options: options)
        configuration.readonly = true
        configuration.label = configuration.label.map { $0 + ".lookup" }
        return LookupConnections(capacity: max(1, options.maximumReaderCount)) { [configuration] in
            try DatabaseQueue(path: path, configuration: configuration)
        }
    }

    private static func open(path: String, identity: DatabaseIdentity, components: [SchemaComponent], journal: JournalPolicy,
                             options: StateDatabaseOptions) throws -> (writer: any DatabaseWriter, immutable: Bool) {
        let envelope = SchemaEnvelope(identity: identity, components: components, path: path)
        do {
            let writer = try makeWriter(path: path, journal: journal, options: options)
            try envelope.prepare(writer, readOnly: options.readOnly)
            return (writer, false)
        } catch let error as DatabaseError where options.readOnly && error.resultCode == .SQLITE_CANTOPEN {
            // A WAL database in a directory that cannot be written, without its `-shm` index:
            // SQLite cannot create the index, so it reads the file as immutable, which is exact
            // only while no WAL holds commits the file lacks.
            guard walSize(path) == 0 else {
                throw StorageError(.cannotOpen, path: path, message: "its WAL (\(path)-wal) holds commits, and SQLite cannot read them without its -shm index file, which this directory cannot hold",
                                   errno: EROFS, hint: "copy the state directory to writable storage and open it there once")
            }
            do {
                let writer = try makeWriter(path: immutableURI(path), journal: journal, options: options)
                try envelope.prepare(writer, readOnly: true)
                return (writer, true)
            } catch let error as DatabaseError {
                throw storageError(error, path: path)
            }
        } catch let error as DatabaseError {
            throw storageError(error, path: path)
        }
    }

    /// The size of the database's WAL file (0 when there is none).
    private static func walSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path + "-wal", &info) == 0 ? Int64(info.st_size) : 0
    }

    /// An SQLite URI that opens `path` with `immutable=1` (no locks, no WAL index).
    static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
    }

    /// A database file of zero bytes with no WAL holds nothing SQLite wrote: it was truncated or
    /// replaced, and opening it would silently start an empty database in its place. (New files
    /// are created whole, under a temporary name, so a crash never leaves one.)
    private static func refuseEmptyFile(_ path: String) throws {
        func size(_ file: String) -> Int64? {
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.int64Value
        }
        if size(path) == 0, (size(path + "-wal") ?? 0) == 0 {
            throw StorageError(.corrupt, path: path, message: "is empty (0 bytes): the database was truncated or replaced", errno: EIO)
        }
    }

    /// Creates the database under a temporary name, with its schema, and renames it into place:
    /// the file appears whole or not at all.
    private static func create(path: String, identity: DatabaseIdentity, components: [SchemaComponent], journal: JournalPolicy,
                               options: StateDatabaseOptions) throws {
        let temporary = path + ".creating-\(getpid())"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        defer { for suffix in ["-wal", "-shm", "-journal"] { unlink(temporary + suffix) } }
        try FilePermissions.ensurePrivateFile(temporary)
        do {
            let writer = try makeWriter(path: temporary, journal: journal, options: options)
            try SchemaEnvelope(identity: identity, components: components, path: path).prepare(writer, readOnly: false)
            try writer.close()
        } catch let error as DatabaseError {
            unlink(temporary)
            throw storageError(error, path: path)
        } catch {
            unlink(temporary)
            throw error
        }
        // link, not rename: a process that created it first keeps its file.
        defer { unlink(temporary) }
        if link(temporary, path) != 0, errno != EEXIST {
            let code = errno
            throw StorageError(.cannotOpen, path: path, message: "cannot create the database: \(String(cString: strerror(code)))", errno: code)
        }
    }

    private static func makeWriter(path: String, journal: JournalPolicy, options: StateDatabaseOptions) throws -> any DatabaseWriter {
        let config = makeConfiguration(path: path, journal: journal, options: options)
        let readOnly = options.readOnly
        let synchronous = journal == .wal && !options.syncEveryCommit ? "NORMAL" : "FULL"
        switch journal {
        case .wal:
            let pool = try DatabasePool(path: path, configuration: config)
            if synchronous == "FULL", !readOnly {
                // GRDB sets NORMAL on the writer when it enables WAL; only the writer commits.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            return pool
        case .rollback:
            return try DatabaseQueue(path: path, configuration: config)
        }
    }

    /// The connection policy of every connection to `path`.
    private static func makeConfiguration(path: String, journal: JournalPolicy, options: StateDatabaseOptions) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(options.busyTimeout)
        config.maximumReaderCount = max(1, options.maximumReaderCount)
        config.foreignKeysEnabled = true
        config.readonly = options.readOnly
        config.label = (path as NSString).lastPathComponent
        let journalSizeLimit = options.journalSizeLimit
        let autoCheckpoint = options.autoCheckpointPages
        let readOnly = options.readOnly
        let synchronous = journal == .wal && !options.syncEveryCommit ? "NORMAL" : "FULL"
        let cacheSize = options.cacheSizeKiB
        let mmapSize = options.mmapSizeBytes
        config.prepareDatabase { db in
            // A fresh, empty file gets incremental auto-vacuum, which must precede WAL and tables.
            if !db.configuration.readonly, try Int.fetchOne(db, sql: "PRAGMA page_count") == 0 {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            }
            if journal == .rollback, !db.configuration.readonly {
                // A file that was WAL (for example moved onto NFS) is converted back.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            if journal == .wal {
                // Keep the -wal and -shm files when the last connection closes (the WAL emptied):
                // the next open, a read on a full disk among them, then needs no new blocks.
                var persist: Int32 = 1
                _ = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Debian's SQLite is built with SECURE_DELETE: freeing a page overwrites it, so a
            // removal writes as much WAL as the data it removes, and fails on a full disk. FAST
            // zeroes what it can without extra writes; freed pages go back to the filesystem
            // (incremental vacuum) when space is short.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
            try db.execute(sql: "PRAGMA cache_size = -\(cacheSize)")
            if mmapSize > 0 { try db.execute(sql: "PRAGMA mmap_size = \(mmapSize)") }
            if !readOnly {
                try db.execute(sql: "PRAGMA journal_size_limit = \(journalSizeLimit)")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autoCheckpoint)")
            } else {
                try db.execute(sql: "PRAGMA query_only = ON")
            }
        }
        return config
    }

    /// Maps an SQLite error raised while opening into a ``StorageError``.
    static func storageError(_ error: DatabaseError, path: String) -> StorageError {
        let failure = SQLiteFailure(error, databasePath: path)
        if failure.isDamage {
            return StorageError(.corrupt, path: path, message: "is not a usable SQLite database (\(error.message ?? "corrupt"))", errno: EIO)
        }
        switch failure.errno {
        case EACCES, EROFS:
            return StorageError(.cannotOpen, path: path, message: "\(failure.message); check the file's permissions", errno: failure.errno)
        case EBUSY:
            return StorageError(.cannotOpen, path: path, message: "\(failure.message) (OPENCLAW_SQLITE_BUSY_TIMEOUT_MS)", errno: EBUSY)
        default:
            return StorageError(.io, path: path, message: failure.message, errno: failure.errno)
        }
    }

    /// Releases the lookup connections before the pool: SQLite copies the WAL into the file when
    /// the last connection to it closes, which a read-only lookup connection cannot do.
    deinit {
        lookups?.close()
    }

    /// Closes every connection, checkpointing the WAL into the database file. Further use fails.
    public func close() throws {
        lookups?.close()
        // Explicitly: SQLite's own checkpoint when its last connection closes does not run once
        // a read-only lookup connection has been open on the file (measured: the WAL kept its frames).
        truncateWAL()
        try writer.close()
    }

    /// The size of the database file and its WAL, in bytes.
    public func fileSizes() -> (database: Int64, wal: Int64) {
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (size(path), size(path + "-wal"))
    }

    /// Runs `PRAGMA integrity_check` and returns its messages (`["ok"]` when sound).
    public func integrityCheck() throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// The versions recorded in this file: the envelope's and each component's.
    public func schemaVersions() throws -> (envelope: Int, components: [String: Int]) {
        try writer.read { db in
            let envelope = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT component, version FROM schema_components")
            var components: [String: Int] = [:]
            for row in rows { components[row["component"]] = row["version"] }
            return (envelope, components)
        }
    }
}
