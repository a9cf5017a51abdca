import GRDB
import Storage

/// The tables of the global database that this module owns.
public enum StateSchema {
    /// `agent_databases`: every per-agent database, with its path, schema version, size and
    /// when it was last opened.
    public static let component = SchemaComponent(name: "state", version: 1) { db, fromVersion in
        if fromVersion < 1 {
            try db.execute(sql: """
                CREATE TABLE agent_databases (
                  agent_id TEXT NOT NULL,
                  path TEXT NOT NULL,
                  schema_version INTEGER NOT NULL,
                  last_seen_at_ms INTEGER NOT NULL,
                  size_bytes INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY (agent_id, path)
                ) STRICT;
                """)
        }
    }
}
