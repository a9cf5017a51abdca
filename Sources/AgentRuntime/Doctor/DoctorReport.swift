import Foundation
import VFS

/// The health of one database file.
public struct DatabaseHealth: Sendable {
    /// `global` or `agent`.
    public var role: String
    /// The agent, for agent databases.
    public var agentID: String?
    /// The file.
    public var path: String
    /// `PRAGMA user_version` and each component's version.
    public var envelopeVersion: Int
    public var components: [String: Int]
    /// `PRAGMA integrity_check` messages (`["ok"]` when sound).
    public var integrity: [String]
    /// Sizes of the database file and its WAL.
    public var sizeBytes: Int64
    public var walBytes: Int64
    /// `wal` or `rollback`, and why.
    public var journal: String
    /// What is wrong, for people.
    public var problems: [String]
    /// The contents checked against their checksums (`nil` with `--quick`, or for a database
    /// without a VFS).
    public var contents: ContentVerification? = nil
    /// Free bytes on the filesystem holding the file, and its size.
    public var diskFreeBytes: Int64? = nil
    public var diskBytes: Int64? = nil
    /// Pages on the freelist (space inside the file the filesystem cannot use), in bytes.
    public var freelistBytes: Int64 = 0
    /// Whether the file gives free pages back in steps (`auto_vacuum = INCREMENTAL`).
    public var incrementalVacuum: Bool = true
    /// Uploads staged and never published (killed writers), for databases with a VFS.
    public var stagedUploads: StagedUploads? = nil
    /// Contents no entry names any more, kept for the readers that still hold them until their
    /// grace period passes (vfs tables v3), and their bytes.
    public var releasedContentCount: Int = 0
    public var releasedContentBytes: Int64 = 0
    /// Entry rows no VFS operation could have written.
    public var tampered: [TamperedEntry] = []
    /// What `--fix` did to this file, for people.
    public var repairs: [String] = []
    /// Whether stored data is damaged: a failed integrity check, a damaged content, an
    /// unreadable file.
    public var isDamaged: Bool = false
}

/// A file from before the database-first layout.
public struct LegacySource: Sendable, Equatable {
    /// `auth.json`, `auth-profiles.json` or `sessions`.
    public var kind: String
    /// The agent it belongs to.
    public var agentID: String
    /// The file (`sessions.json` for sessions; its transcripts sit beside it).
    public var path: String
}

/// What one legacy import did.
public struct LegacyImportResult: Sendable, Equatable {
    /// The source.
    public var source: LegacySource
    /// `imported`, `already_imported` or `failed`.
    public var status: String
    /// Profiles, sessions or events imported.
    public var items: Int
    /// The files removed after the verified import.
    public var removedFiles: [String]
    /// Why it failed, or notes.
    public var message: String?
}

/// The outcome of `doctor` (and `doctor --fix`).
public struct DoctorReport: Sendable {
    /// Every database checked.
    public var databases: [DatabaseHealth] = []
    /// Legacy files still present (after `--fix`: those that could not be imported).
    public var legacy: [LegacySource] = []
    /// What `--fix` imported.
    public var imports: [LegacyImportResult] = []
    /// Problems outside any one database.
    public var problems: [String] = []
    /// Facts that need no action (a new state root has no databases yet).
    public var notes: [String] = []

    /// Whether some stored data is damaged (the CLI exits 65).
    public var hasDamage: Bool { databases.contains(where: \.isDamaged) }

    /// Whether nothing needs attention.
    public var isHealthy: Bool {
        problems.isEmpty && legacy.isEmpty && databases.allSatisfy(\.problems.isEmpty) && imports.allSatisfy { $0.status != "failed" }
    }
}
