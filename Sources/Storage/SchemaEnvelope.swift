import Foundation
import GRDB

/// Creates and checks `schema_meta`, `schema_components` and `user_version`, then runs each
/// component's migration. Checks run first on a read connection, so opening an up-to-date file
/// takes no write lock for the schema. (GRDB itself writes one tiny transaction when it opens a
/// WAL file whose `-wal` is missing or empty; that open waits for the busy timeout like a write.)
struct SchemaEnvelope {
    var identity: DatabaseIdentity
    var components: [SchemaComponent]
    var path: String

    private struct Snapshot {
        var userVersion: Int
        var hasMeta: Bool
        var hasOtherTables: Bool
        var role: String?
        var agentID: String?
        var componentVersions: [String: Int]
    }

    func prepare(_ writer: any DatabaseWriter, readOnly: Bool) throws {
        let snapshot = try writer.read { db in try read(db) }
        if try !validate(snapshot) { return }
        guard !readOnly else {
            throw StorageError(.cannotOpen, path: path, message: "was opened read-only but its schema is missing or older than this build", errno: EROFS,
                               hint: "open it once for writing (any command on a writable copy) to bring its schema up to date")
        }
        // GRDB's write: one BEGIN IMMEDIATE transaction, so two processes migrating at once
        // take turns and the second finds the work done.
        try writer.write { db in
            let current = try read(db)
            if try validate(current) {
                try migrate(db, current)
            }
        }
    }

    private func read(_ db: Database) throws -> Snapshot {
        let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let hasMeta = try db.tableExists("schema_meta")
        // Litestream's own tables (`_litestream_seq`, `_litestream_lock`) are not ours and not a
        // foreign schema: a replicated database has them.
        let tableCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\'") ?? 0
        var snapshot = Snapshot(userVersion: userVersion, hasMeta: hasMeta, hasOtherTables: tableCount > 0, role: nil, agentID: nil, componentVersions: [:])
        if hasMeta {
            if let row = try Row.fetchOne(db, sql: "SELECT role, agent_id FROM schema_meta WHERE singleton = 1") {
                snapshot.role = row["role"]
                snapshot.agentID = row["agent_id"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT component, version FROM schema_components") {
                snapshot.componentVersions[row["component"]] = row["version"]
            }
        }
        return snapshot
    }

    /// Throws when the file must not be used; returns whether a write is needed.
    private func validate(_ snapshot: Snapshot) throws -> Bool {
        if snapshot.userVersion > StateDatabase.envelopeVersion {
            throw StorageError(.newerSchema, path: path, message: "has schema version \(snapshot.userVersion) but this openclaw supports up to \(StateDatabase.envelopeVersion) (nothing was changed)", errno: EPROTO,
                               hint: "upgrade openclaw, or restore a backup made by this version")
        }
        if !snapshot.hasMeta {
            if snapshot.hasOtherTables {
                throw StorageError(.identityMismatch, path: path, message: "is a SQLite database but not an openclaw state database (no schema_meta)", errno: EINVAL,
                                   hint: "move it away, or use another state directory")
            }
            return true
        }
        if let role = snapshot.role, role != identity.role || snapshot.agentID != identity.agentID {
            let found = DatabaseIdentity(role: role, agentID: snapshot.agentID)
            throw StorageError(.identityMismatch, path: path, message: "is the \(found), not the \(identity); it was copied or moved into the wrong place: move it back to its own agent directory, or restore a backup (nothing was changed)", errno: EINVAL)
        }
        var needsWrite = snapshot.role == nil || snapshot.userVersion < StateDatabase.envelopeVersion
        for component in components {
            let stored = snapshot.componentVersions[component.name] ?? 0
            if stored > component.version {
                throw StorageError(.newerSchema, path: path, message: "has '\(component.name)' tables at version \(stored) but this openclaw supports up to \(component.version) (nothing was changed)", errno: EPROTO,
                                   hint: "upgrade openclaw, or restore a backup made by this version")
            }
            if stored < component.version { needsWrite = true }
        }
        return needsWrite
    }

    private func migrate(_ db: Database, _ snapshot: Snapshot) throws {
        let now = SystemClock.milliseconds()
        if !snapshot.hasMeta {
            try db.execute(sql: """
                CREATE TABLE schema_meta (
                  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                  role TEXT NOT NULL,
                  agent_id TEXT,
                  schema_version INTEGER NOT NULL,
                  created_at_ms INTEGER NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE schema_components (
                  component TEXT PRIMARY KEY,
                  version INTEGER NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                """)
        }
        if snapshot.role == nil {
            try db.execute(
                sql: "INSERT INTO schema_meta (singleton, role, agent_id, schema_version, created_at_ms, updated_at_ms) VALUES (1, ?, ?, ?, ?, ?)",
                arguments: [identity.role, identity.agentID, StateDatabase.envelopeVersion, now, now])
        }
        for component in components {
            let stored = snapshot.componentVersions[component.name] ?? 0
            guard stored < component.version else { continue }
            try component.migrate(db, stored)
            try db.execute(
                sql: "INSERT INTO schema_components (component, version, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version, updated_at_ms = excluded.updated_at_ms",
                arguments: [component.name, component.version, now])
        }
        try db.execute(sql: "UPDATE schema_meta SET schema_version = ?, updated_at_ms = ? WHERE singleton = 1", arguments: [StateDatabase.envelopeVersion, now])
        try db.execute(sql: "PRAGMA user_version = \(StateDatabase.envelopeVersion)")
    }
}
