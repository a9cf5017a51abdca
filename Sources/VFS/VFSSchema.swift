import GRDB
import Storage

extension VirtualFileSystem {
    /// The VFS tables, as a schema component of the database that holds them.
    ///
    /// - `vfs_namespaces`: one row per namespace with its counters and quotas.
    /// - `vfs_entries`: files and directories keyed by (namespace, path), with an index on
    ///   (namespace, parent, name) that also holds every listed column, for directory listings.
    /// - `vfs_contents`: immutable file contents, shared between entries and namespaces and
    ///   reference-counted by triggers; small contents inline.
    /// - `vfs_chunks`: fixed-size chunks of larger contents.
    /// - `vfs_changes`: a bounded log of changed subtrees, for watchers such as a FUSE mount.
    ///
    /// Version 2 gives every chunk (`vfs_chunks.checksum`) and every inline content
    /// (`vfs_contents.inline_checksum`) an XXH3-64 checksum, verified on every read. Existing
    /// contents gain theirs in the migration: one pass that reads each chunk and rewrites its
    /// row once. It also records the writer of each staged upload (`staging_owner`).
    ///
    /// The tables start with one namespace, `workspace`; a user of the VFS that has namespaces
    /// of its own in every database declares them with ``schema(builtInNamespaces:)``.
    public static let schema = schema(builtInNamespaces: [NamespaceName.workspace])

    /// The VFS tables, created with the namespaces `builtInNamespaces` (which should include
    /// `workspace`, the default namespace). Pass the same names to
    /// ``init(database:limits:builtInNamespaces:)``, which refuses to remove them.
    public static func schema(builtInNamespaces: [String]) -> SchemaComponent {
        SchemaComponent(name: "vfs", version: 3) { db, fromVersion in
            try migrate(db, from: fromVersion, builtInNamespaces: builtInNamespaces)
        }
    }

    private static func migrate(_ db: Database, from fromVersion: Int, builtInNamespaces: [String]) throws {
        if fromVersion < 1 {
            try db.execute(sql: schemaVersion1)
            let now = SystemClock.nanoseconds()
            for name in builtInNamespaces {
                try db.execute(
                    sql: "INSERT INTO vfs_namespaces (name, created_at_ns, updated_at_ns) VALUES (?, ?, ?)",
                    arguments: [name, now, now])
            }
        }
        if fromVersion < 2 {
            try db.execute(sql: schemaVersion2)
            db.add(function: ContentChecksum.sqlFunction)
            defer { db.remove(function: ContentChecksum.sqlFunction) }
            try db.execute(sql: """
                UPDATE vfs_chunks SET checksum = openclaw_xxh3(data);
                UPDATE vfs_contents SET inline_checksum = openclaw_xxh3(inline_data) WHERE inline_data IS NOT NULL;
                """)
        }
        if fromVersion < 3 {
            try db.execute(sql: schemaVersion3)
        }
    }

    /// Checksums: XXH3-64 of each chunk's `data` and of each content's `inline_data`, as signed
    /// 64-bit integers. Appended columns, so new and migrated databases have the same layout.
    static let schemaVersion2 = """
        ALTER TABLE vfs_chunks ADD COLUMN checksum INTEGER;
        ALTER TABLE vfs_contents ADD COLUMN inline_checksum INTEGER;
        -- The writer of a staged upload, `<host>:<pid>`: an upload whose writer is dead is
        -- garbage at once, not only after an hour idle.
        ALTER TABLE vfs_contents ADD COLUMN staging_owner TEXT;
        """

    /// Released contents: the triggers mark a content whose last reference went with the time
    /// (`released_at_ns`) instead of deleting it, and clear the mark when a reference comes back.
    /// The time is SQLite's clock at millisecond precision, so that the triggers need no
    /// function of ours and any SQLite client may edit entries.
    static let schemaVersion3 = """
        ALTER TABLE vfs_contents ADD COLUMN released_at_ns INTEGER;
        CREATE INDEX vfs_contents_released ON vfs_contents(released_at_ns) WHERE released_at_ns IS NOT NULL;

        DROP TRIGGER vfs_entries_after_insert;
        DROP TRIGGER vfs_entries_after_delete;
        DROP TRIGGER vfs_entries_after_update_content;

        CREATE TRIGGER vfs_entries_after_insert AFTER INSERT ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count + 1, released_at_ns = NULL WHERE id = NEW.content_id;
          UPDATE vfs_namespaces SET entry_count = entry_count + 1, byte_count = byte_count + NEW.size
            WHERE name = NEW.namespace;
        END;

        CREATE TRIGGER vfs_entries_after_delete AFTER DELETE ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count - 1,
            released_at_ns = CASE WHEN ref_count <= 1 THEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000 END
            WHERE id = OLD.content_id;
          UPDATE vfs_namespaces SET entry_count = entry_count - 1, byte_count = byte_count - OLD.size
            WHERE name = OLD.namespace;
        END;

        CREATE TRIGGER vfs_entries_after_update_content AFTER UPDATE OF content_id, size ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count + 1, released_at_ns = NULL WHERE id = NEW.content_id;
          UPDATE vfs_contents SET ref_count = ref_count - 1,
            released_at_ns = CASE WHEN ref_count <= 1 THEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000 END
            WHERE id = OLD.content_id;
          UPDATE vfs_namespaces SET byte_count = byte_count + NEW.size - OLD.size WHERE name = NEW.namespace;
        END;
        """

    static let schemaVersion1 = """
        CREATE TABLE vfs_namespaces (
          name TEXT PRIMARY KEY,
          created_at_ns INTEGER NOT NULL,
          updated_at_ns INTEGER NOT NULL,
          forked_from TEXT,
          entry_count INTEGER NOT NULL DEFAULT 0,
          byte_count INTEGER NOT NULL DEFAULT 0,
          max_entries INTEGER,
          max_bytes INTEGER,
          max_file_bytes INTEGER
        ) STRICT;

        CREATE TABLE vfs_contents (
          -- AUTOINCREMENT: an id is never reused, so an open handle that names a freed content
          -- can never read another file's bytes under the same id.
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          size INTEGER NOT NULL,
          sha256 BLOB,
          chunk_size INTEGER NOT NULL,
          inline_data BLOB,
          ref_count INTEGER NOT NULL DEFAULT 0,
          staging_since_ns INTEGER
        ) STRICT;
        CREATE INDEX vfs_contents_staging ON vfs_contents(staging_since_ns) WHERE staging_since_ns IS NOT NULL;

        CREATE TABLE vfs_chunks (
          content_id INTEGER NOT NULL REFERENCES vfs_contents(id) ON DELETE CASCADE,
          chunk_index INTEGER NOT NULL,
          data BLOB NOT NULL,
          PRIMARY KEY (content_id, chunk_index)
        ) STRICT;

        CREATE TABLE vfs_entries (
          namespace TEXT NOT NULL REFERENCES vfs_namespaces(name) ON DELETE CASCADE,
          path TEXT NOT NULL,
          parent TEXT NOT NULL,
          name TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('file', 'directory')),
          mode INTEGER NOT NULL,
          size INTEGER NOT NULL,
          mtime_ns INTEGER NOT NULL,
          ctime_ns INTEGER NOT NULL,
          content_id INTEGER,
          metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
          PRIMARY KEY (namespace, path),
          CHECK ((kind = 'file') = (content_id IS NOT NULL))
        ) STRICT, WITHOUT ROWID;
        -- Directory listings read only this index: it holds every listed column (and, as in any
        -- index of a WITHOUT ROWID table, the primary key), so listing N children is one range
        -- scan, whatever the size of the namespace.
        CREATE INDEX vfs_entries_by_parent
          ON vfs_entries(namespace, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json);

        -- Sequence numbers only grow: the oldest records are trimmed, never the newest.
        CREATE TABLE vfs_changes (
          seq INTEGER PRIMARY KEY,
          namespace TEXT NOT NULL,
          path TEXT NOT NULL,
          changed_at_ns INTEGER NOT NULL
        ) STRICT;

        CREATE TRIGGER vfs_entries_after_insert AFTER INSERT ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count + 1 WHERE id = NEW.content_id;
          UPDATE vfs_namespaces SET entry_count = entry_count + 1, byte_count = byte_count + NEW.size
            WHERE name = NEW.namespace;
        END;

        CREATE TRIGGER vfs_entries_after_delete AFTER DELETE ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count - 1 WHERE id = OLD.content_id;
          DELETE FROM vfs_contents WHERE id = OLD.content_id AND ref_count <= 0;
          UPDATE vfs_namespaces SET entry_count = entry_count - 1, byte_count = byte_count - OLD.size
            WHERE name = OLD.namespace;
        END;

        CREATE TRIGGER vfs_entries_after_update_content AFTER UPDATE OF content_id, size ON vfs_entries BEGIN
          UPDATE vfs_contents SET ref_count = ref_count + 1 WHERE id = NEW.content_id;
          UPDATE vfs_contents SET ref_count = ref_count - 1 WHERE id = OLD.content_id;
          DELETE FROM vfs_contents WHERE id = OLD.content_id AND ref_count <= 0;
          UPDATE vfs_namespaces SET byte_count = byte_count + NEW.size - OLD.size WHERE name = NEW.namespace;
        END;
        """
}
