import GRDB
import Storage

/// The tables this module owns, as schema components of the two databases.
public enum RuntimeSchema {
    /// The per-agent tables: sessions, transcripts, auth profiles, settings, skills.
    ///
    /// - `session_nodes`: one row per session key, pointing at its current session id.
    /// - `session_windows`: one row per session id (a transcript generation), with the reason it
    ///   started, its frontier (`last_seq`, `updated_at_ms`) and token totals.
    /// - `transcript_events`: one row per event, `seq` dense from 0 per session id.
    /// - `auth_profile_store` / `auth_profile_state`: the `{version, profiles}` credential document
    ///   and the `{order, lastGood, usageStats}` state document.
    /// - `agent_settings`: small JSON settings (the default model).
    /// - `skills`: the uploaded skills and their digests (files live in the `skills` namespace).
    /// - `pending_runs`: runs accepted and not yet started (waiting for their session's turn),
    ///   written before the run is acknowledged and deleted in the transaction that starts it, so
    ///   a process killed with runs queued loses none of their messages.
    public static let agent = SchemaComponent(name: "runtime", version: 3) { db, fromVersion in
        if fromVersion < 1 {
            try db.execute(sql: """
                CREATE TABLE session_nodes (
                  session_key TEXT PRIMARY KEY,
                  current_session_id TEXT NOT NULL,
                  created_at_ms INTEGER NOT NULL,
                  updated_at_ms INTEGER NOT NULL,
                  model TEXT
                ) STRICT;
                CREATE INDEX session_nodes_by_updated ON session_nodes(updated_at_ms);
                CREATE TABLE session_windows (
                  session_id TEXT PRIMARY KEY,
                  session_key TEXT NOT NULL,
                  previous_session_id TEXT,
                  reason TEXT NOT NULL CHECK (reason IN ('initial', 'reset', 'import')),
                  reason_note TEXT,
                  created_at_ms INTEGER NOT NULL,
                  ended_at_ms INTEGER,
                  last_seq INTEGER NOT NULL DEFAULT -1,
                  tail_event_id TEXT,
                  updated_at_ms INTEGER NOT NULL,
                  input_tokens INTEGER NOT NULL DEFAULT 0,
                  output_tokens INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                CREATE INDEX session_windows_by_key ON session_windows(session_key, created_at_ms);
                CREATE TABLE transcript_events (
                  session_id TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  event_id TEXT NOT NULL,
                  event_type TEXT NOT NULL,
                  parent_id TEXT,
                  idempotency_key TEXT,
                  event_json TEXT NOT NULL,
                  created_at_ms INTEGER NOT NULL,
                  PRIMARY KEY (session_id, seq)
                ) STRICT, WITHOUT ROWID;
                CREATE UNIQUE INDEX transcript_events_by_idempotency_key
                  ON transcript_events(session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE TABLE auth_profile_store (
                  store_key TEXT PRIMARY KEY,
                  store_json TEXT NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE auth_profile_state (
                  state_key TEXT PRIMARY KEY,
                  state_json TEXT NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE agent_settings (
                  setting_key TEXT PRIMARY KEY,
                  value_json TEXT NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE skills (
                  slug TEXT PRIMARY KEY,
                  sha256 TEXT NOT NULL,
                  description TEXT NOT NULL,
                  file_count INTEGER NOT NULL,
                  size_bytes INTEGER NOT NULL,
                  uploaded_at_ms INTEGER NOT NULL
                ) STRICT;
                """)
        }
        if fromVersion < 2 {
            // Version 2: a session's label and the model chosen for it (sessions.patch).
            try db.execute(sql: """
                ALTER TABLE session_nodes ADD COLUMN label TEXT;
                ALTER TABLE session_nodes ADD COLUMN model_override TEXT;
                """)
        }
        if fromVersion < 3 {
            // Version 3: runs accepted and not yet started survive a crash.
            try db.execute(sql: """
                CREATE TABLE pending_runs (
                  pending_id INTEGER PRIMARY KEY,
                  run_id TEXT NOT NULL,
                  session_key TEXT NOT NULL,
                  idempotency_key TEXT,
                  message TEXT NOT NULL,
                  owner_json TEXT NOT NULL,
                  queued_at_ms INTEGER NOT NULL
                ) STRICT;
                """)
        }
    }

    /// The global tables: the model catalog, subagent runs and doctor's migration bookkeeping.
    ///
    /// - `model_providers` / `model_catalog`: providers (wire API, base URL, headers, timeout,
    ///   retries) and their models (context window, max output tokens).
    /// - `subagent_runs`: every `sessions_spawn`, with parent and child sessions and status.
    /// - `migration_runs` / `migration_sources`: `doctor --fix` imports, keyed by source path,
    ///   digest and size so that an import is never done twice.

    public static let global = SchemaComponent(name: "runtime-global", version: 1) { db, fromVersion in
        if fromVersion < 1 {
            try db.execute(sql: """
                CREATE TABLE model_providers (
                  provider_id TEXT PRIMARY KEY,
                  api TEXT NOT NULL CHECK (api IN ('openai-completions', 'anthropic-messages')),
                  base_url TEXT NOT NULL,
                  headers_json TEXT NOT NULL DEFAULT '{}',
                  timeout_ms INTEGER NOT NULL,
                  max_retries INTEGER NOT NULL,
                  updated_at_ms INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE model_catalog (
                  provider_id TEXT NOT NULL REFERENCES model_providers(provider_id) ON DELETE CASCADE,
                  model_id TEXT NOT NULL,
                  context_window INTEGER,
                  max_tokens INTEGER,
                  PRIMARY KEY (provider_id, model_id)
                ) STRICT;
                CREATE TABLE subagent_runs (
                  run_id TEXT PRIMARY KEY,
                  agent_id TEXT NOT NULL,
                  parent_session_key TEXT NOT NULL,
                  parent_session_id TEXT NOT NULL,
                  child_session_key TEXT NOT NULL,
                  child_session_id TEXT,
                  namespace TEXT NOT NULL,
                  task TEXT NOT NULL,
                  label TEXT,
                  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'aborted')),
                  attachment_count INTEGER NOT NULL DEFAULT 0,
                  attachment_bytes INTEGER NOT NULL DEFAULT 0,
                  error TEXT,
                  started_at_ms INTEGER NOT NULL,
                  ended_at_ms INTEGER
                ) STRICT;
                CREATE INDEX subagent_runs_by_parent ON subagent_runs(agent_id, parent_session_key, started_at_ms);
                CREATE TABLE migration_runs (
                  run_id TEXT PRIMARY KEY,
                  kind TEXT NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
                  started_at_ms INTEGER NOT NULL,
                  finished_at_ms INTEGER,
                  summary_json TEXT NOT NULL DEFAULT '{}'
                ) STRICT;
                CREATE TABLE migration_sources (
                  source_path TEXT NOT NULL,
                  sha256 TEXT NOT NULL,
                  size_bytes INTEGER NOT NULL,
                  kind TEXT NOT NULL,
                  agent_id TEXT NOT NULL,
                  run_id TEXT NOT NULL REFERENCES migration_runs(run_id),
                  imported_at_ms INTEGER NOT NULL,
                  items INTEGER NOT NULL,
                  source_removed INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY (source_path, sha256, size_bytes)
                ) STRICT;
                """)
        }
    }
}
