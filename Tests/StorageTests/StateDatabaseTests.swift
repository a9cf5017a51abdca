import Foundation
import GRDB
import Testing
@testable import Storage

@Suite struct StateDatabaseTests {
    static let identity = DatabaseIdentity(role: "agent", agentID: "alpha")

    static let notes = SchemaComponent(name: "notes", version: 2) { db, from in
        if from < 1 { try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT") }
        if from < 2 { try db.execute(sql: "ALTER TABLE notes ADD COLUMN tag TEXT") }
    }

    @Test func connectionPolicy() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/nested/state/db.sqlite"
        let database = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes],
                                         options: StateDatabaseOptions(environment: ["OPENCLAW_SQLITE_BUSY_TIMEOUT_MS": "1234"]))
        #expect(database.journal == .wal)
        let pragmas = try database.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout"))
        }
        let writerBusyTimeout = try database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") }
        #expect(pragmas.0 == "wal")
        #expect(pragmas.1 == 1, "synchronous=NORMAL")
        #expect(pragmas.2 == 1)
        #expect(writerBusyTimeout == 1234)
        #expect(pragmas.3 ?? 0 > 0, "readers wait too")
        let writerPragmas = try database.writer.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA journal_size_limit"), try Int.fetchOne(db, sql: "PRAGMA auto_vacuum"))
        }
        #expect(writerPragmas.0 == 64 << 20)
        #expect(writerPragmas.1 == 2, "incremental auto-vacuum on a fresh file")
        #expect(mode(of: path) == 0o600)
        #expect(mode(of: path + "-wal") == 0o600)
        #expect(mode(of: directory.path + "/nested/state") == 0o700)
        #expect(mode(of: directory.path + "/nested") == 0o700)
        let versions = try database.schemaVersions()
        #expect(versions.envelope == StateDatabase.envelopeVersion)
        #expect(versions.components == ["notes": 2])
        #expect(try database.integrityCheck() == ["ok"])
    }

    @Test func syncEveryCommitOnRequest() throws {
        let directory = TemporaryDirectory()
        let database = try StateDatabase(path: directory.path + "/db.sqlite", identity: Self.identity, components: [],
                                         options: StateDatabaseOptions(environment: ["OPENCLAW_SQLITE_SYNCHRONOUS": "full"]))
        #expect(try database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
    }

    @Test func defaultBusyTimeoutIsThirtySeconds() {
        #expect(StateDatabaseOptions(environment: [:]).busyTimeout == 30)
    }

    @Test func checkpointThresholdDefaultsAndOverrides() throws {
        #expect(StateDatabaseOptions(environment: [:]).autoCheckpointPages == 4000)
        #expect(StateDatabaseOptions(environment: ["OPENCLAW_SQLITE_WAL_AUTOCHECKPOINT": "500"]).autoCheckpointPages == 500)
        let directory = TemporaryDirectory()
        let database = try StateDatabase(path: directory.path + "/db.sqlite", identity: Self.identity, components: [],
                                         options: StateDatabaseOptions(environment: [:]))
        #expect(try database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 4000)
    }

    @Test func rollbackJournalWhenForcedOrOnNetworkFilesystems() throws {
        let directory = TemporaryDirectory()
        let database = try StateDatabase(path: directory.path + "/db.sqlite", identity: Self.identity, components: [Self.notes],
                                         options: StateDatabaseOptions(journalPolicy: .rollback))
        #expect(database.journal == .rollback)
        let pragmas = try database.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(pragmas.0 == "delete")
        #expect(pragmas.1 == 2, "synchronous=FULL")
        #expect(JournalPolicy.detect(forDirectory: directory.path, environment: ["OPENCLAW_SQLITE_JOURNAL": "rollback"]).policy == .rollback)
        #expect(JournalPolicy.detect(forDirectory: directory.path, environment: [:]).policy == .wal)
        // /proc is not a network filesystem, but the table maps the magic numbers that are.
        #expect(JournalPolicy.unsafeMagics[0x6969] == "nfs")
        #expect(JournalPolicy.unsafeTypes.contains("virtiofs"))
    }

    @Test func rollbackPolicyConvertsAWALFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        try StateDatabase(path: path, identity: Self.identity, components: [Self.notes]).close()
        let database = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes], options: StateDatabaseOptions(journalPolicy: .rollback))
        #expect(try database.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "delete")
    }

    @Test func migratesOlderComponentsInPlace() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        let v1 = SchemaComponent(name: "notes", version: 1) { db, _ in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT")
        }
        do {
            let old = try StateDatabase(path: path, identity: Self.identity, components: [v1])
            try old.writer.write { db in try db.execute(sql: "INSERT INTO notes (body) VALUES ('kept')") }
        }
        let new = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes])
        let row = try new.writer.read { db in try Row.fetchOne(db, sql: "SELECT body, tag FROM notes") }
        #expect(row?["body"] == "kept")
        #expect(try new.schemaVersions().components["notes"] == 2)
    }

    @Test func refusesNewerEnvelopeWithoutChangingIt() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        do {
            let database = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes])
            try database.writer.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
            try database.close()
        }
        func snapshot() throws -> [String] {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return try queue.read { db in
                try ["\(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1)"]
                    + String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name")
                    + String.fetchAll(db, sql: "SELECT component || version FROM schema_components")
            }
        }
        let before = try snapshot()
        #expect(before.first == "99")
        do {
            _ = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes, StateDatabaseTests.extra])
            Issue.record("opened a newer database")
        } catch let error as StorageError {
            #expect(error.code == .newerSchema)
            #expect(error.hint?.contains("upgrade openclaw") == true)
            #expect(error.message.contains("99"))
        }
        #expect(try snapshot() == before, "a refused open changes nothing")
    }

    static let extra = SchemaComponent(name: "extra", version: 1) { db, _ in
        try db.execute(sql: "CREATE TABLE extra (x)")
    }

    @Test func refusesNewerComponent() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        _ = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes])
        let older = SchemaComponent(name: "notes", version: 1) { _, _ in Issue.record("must not migrate") }
        let error = #expect(throws: StorageError.self) { _ = try StateDatabase(path: path, identity: Self.identity, components: [older]) }
        #expect(error?.code == .newerSchema)
        #expect(error?.message.contains("'notes' tables at version 2") == true)
    }

    @Test func refusesAnotherAgentsFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        _ = try StateDatabase(path: path, identity: Self.identity, components: [])
        let error = #expect(throws: StorageError.self) {
            _ = try StateDatabase(path: path, identity: DatabaseIdentity(role: "agent", agentID: "beta"), components: [])
        }
        #expect(error?.code == .identityMismatch)
        #expect(error?.message.contains("agent 'alpha'") == true)
        #expect(error?.message.contains("agent 'beta'") == true)
        #expect(throws: StorageError.self) { _ = try StateDatabase(path: path, identity: DatabaseIdentity(role: "global"), components: []) }
    }

    @Test func refusesForeignAndCorruptFiles() throws {
        let directory = TemporaryDirectory()
        let foreign = directory.path + "/foreign.sqlite"
        let queue = try DatabaseQueue(path: foreign)
        try queue.write { db in try db.execute(sql: "CREATE TABLE other (x)") }
        try queue.close()
        let error = #expect(throws: StorageError.self) { _ = try StateDatabase(path: foreign, identity: Self.identity, components: []) }
        #expect(error?.message.contains("not an openclaw state database") == true)

        let garbage = directory.path + "/garbage.sqlite"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: garbage))
        let corrupt = #expect(throws: StorageError.self) { _ = try StateDatabase(path: garbage, identity: Self.identity, components: []) }
        #expect(corrupt?.code == .corrupt)
    }

    @Test func readOnlyOpenNeedsAnExistingCurrentFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        #expect(throws: StorageError.self) {
            _ = try StateDatabase(path: path, identity: Self.identity, components: [], options: StateDatabaseOptions(readOnly: true))
        }
        _ = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes])
        let reader = try StateDatabase(path: path, identity: Self.identity, components: [Self.notes], options: StateDatabaseOptions(readOnly: true))
        #expect(throws: DatabaseError.self) { try reader.writer.write { db in try db.execute(sql: "INSERT INTO notes (body) VALUES ('x')") } }
    }

    @Test func backupIsAConsistentCheckedCopy() throws {
        let directory = TemporaryDirectory()
        let database = try StateDatabase(path: directory.path + "/db.sqlite", identity: Self.identity, components: [Self.notes])
        try database.writer.write { db in
            for index in 0..<100 { try db.execute(sql: "INSERT INTO notes (body) VALUES (?)", arguments: ["note \(index)"]) }
        }
        let copyPath = directory.path + "/copy.sqlite"
        let backup = try database.backup(to: copyPath)
        #expect(backup.bytes > 0)
        #expect(mode(of: copyPath) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: copyPath + "-wal"))
        let copy = try StateDatabase(path: copyPath, identity: Self.identity, components: [Self.notes])
        #expect(try copy.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM notes") } == 100)
        let again = #expect(throws: StorageError.self) { _ = try database.backup(to: copyPath) }
        #expect(again?.errno == EEXIST)
    }
}
