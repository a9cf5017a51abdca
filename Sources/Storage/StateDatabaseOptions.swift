import Foundation

/// Connection settings shared by every state database.
public struct StateDatabaseOptions: Sendable {
    /// How long a connection waits for another writer before failing with `SQLITE_BUSY`.
    /// Defaults to 30 s, or `OPENCLAW_SQLITE_BUSY_TIMEOUT_MS`.
    public var busyTimeout: TimeInterval
    /// The WAL is truncated to this size after a checkpoint (`journal_size_limit`).
    public var journalSizeLimit: Int
    /// Pages in the WAL that trigger an automatic checkpoint (`wal_autocheckpoint`).
    public var autoCheckpointPages: Int
    /// The number of concurrent read connections of a WAL database.
    public var maximumReaderCount: Int
    /// The page cache of each connection, in KiB (`cache_size`).
    public var cacheSizeKiB: Int
    /// How much of the file to read through memory maps (`mmap_size`; 0, the default, reads with
    /// `pread`). Large sequential reads get several times faster, at the price of a resident set
    /// that grows with what is read (file pages, reclaimable).
    public var mmapSizeBytes: Int
    /// How much of the file the lookup connections (``StateDatabase/readWithoutTransaction(_:)``
    /// and the synchronous ``StateDatabase/read(_:)``) read through memory maps, at least
    /// ``mmapSizeBytes``. A lookup reads a few pages (an index entry, a small file's row);
    /// through the map SQLite uses them in place, with no `pread` and no copy into its page
    /// cache, which is a third of a 4 KiB file's read. The pages read count in the resident set,
    /// but they are the kernel's page cache, which a `pread` fills too (and which the kernel
    /// reclaims under memory pressure): what the map saves is SQLite's own copy of each page.
    /// 0 maps nothing.
    public var lookupMmapSizeBytes = 256 << 20
    /// Open for reading only: no schema creation or migration, `query_only` connections.
    public var readOnly: Bool
    /// Forces a journal policy instead of detecting it from the filesystem.
    public var journalPolicy: JournalPolicy?
    /// Sync every WAL commit to disk (`synchronous=FULL`), surviving power loss, instead of only
    /// at checkpoints (`NORMAL`, the default, which survives process crashes). Defaults to
    /// `OPENCLAW_SQLITE_SYNCHRONOUS=full`. Rollback journals always use FULL.
    public var syncEveryCommit: Bool
    /// The state root's reserve of disk space, given up by the operations that free space when
    /// the disk is full (see ``SpaceReserve``).
    public var spaceReserve: SpaceReserve?
    /// Checkpoint only with `PASSIVE` (never `TRUNCATE`): a replicator such as Litestream holds a
    /// read transaction and runs its own checkpoints, and a TRUNCATE checkpoint would wait for it
    /// for the whole busy timeout. Set for replicated state directories.
    public var passiveCheckpoints = false

    public init(
        busyTimeout: TimeInterval? = nil,
        journalSizeLimit: Int = 64 << 20,
        autoCheckpointPages: Int? = nil,
        maximumReaderCount: Int = 4,
        cacheSizeKiB: Int = 8192,
        mmapSizeBytes: Int = 0,
        readOnly: Bool = false,
        journalPolicy: JournalPolicy? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        if let busyTimeout {
            self.busyTimeout = busyTimeout
        } else if let text = environment["OPENCLAW_SQLITE_BUSY_TIMEOUT_MS"], let ms = Int(text), ms >= 0 {
            self.busyTimeout = TimeInterval(ms) / 1000
        } else {
            self.busyTimeout = 30
        }
        self.journalSizeLimit = journalSizeLimit
        self.autoCheckpointPages = autoCheckpointPages
            ?? environment["OPENCLAW_SQLITE_WAL_AUTOCHECKPOINT"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
            ?? 4000
        self.maximumReaderCount = maximumReaderCount
        self.cacheSizeKiB = cacheSizeKiB
        self.mmapSizeBytes = mmapSizeBytes
        self.readOnly = readOnly
        self.journalPolicy = journalPolicy
        self.syncEveryCommit = environment["OPENCLAW_SQLITE_SYNCHRONOUS"]?.lowercased() == "full"
    }
}
