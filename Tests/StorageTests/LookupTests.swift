import Foundation
import GRDB
import Testing
@testable import Storage

/// Lookups through ``StateDatabase/readWithoutTransaction(_:)``: their own connections, what
/// they see from inside another access, raw rows, and close.
@Suite struct LookupTests {
    static let notes = SchemaComponent(name: "notes", version: 1) { db, _ in
        try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, tag TEXT, data BLOB) STRICT")
    }
    static let byID = LookupQuery("SELECT id, body, tag, data FROM notes WHERE id = ?")
    static let byTag = LookupQuery("SELECT id FROM notes WHERE tag = ? ORDER BY id")
    /// The C-API lookups take two texts (a namespace and a path); the id is given as text here.
    static let byIDAndTag = LookupQuery("SELECT body FROM notes WHERE id = CAST(?1 AS INTEGER) AND tag = ?2")

    func open(_ directory: TemporaryDirectory, _ options: StateDatabaseOptions = .init()) throws -> StateDatabase {
        try StateDatabase(path: directory.path + "/db.sqlite", identity: DatabaseIdentity(role: "agent", agentID: "alpha"),
                          components: [Self.notes], options: options)
    }

    /// That no connection holds a read snapshot: a TRUNCATE checkpoint is not blocked and empties the WAL.
    func expectNoSnapshotHeld(_ database: StateDatabase) throws {
        let result = try database.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect((result?[0] as Int?) == 0, "checkpoint not blocked")
        #expect(database.fileSizes().wal == 0)
    }

    @Test func hexSpellsBytesInLowercaseTwoDigitsEach() {
        #expect([UInt8]().lowercaseHex == "")
        #expect([0x00, 0x0F, 0xA0, 0xFF].lowercaseHex == "000fa0ff")
        #expect(Data([0xDE, 0xAD, 0xBE, 0xEF]).lowercaseHex == "deadbeef")
        #expect((0..<4).lazy.map { UInt8($0 * 17) }.lowercaseHex == "00112233", "a sequence without contiguous storage")
        let all = Data((0...255).map { UInt8($0) })
        #expect(all.withUnsafeBytes { Hex.lowercase($0) } == all.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.bytes(lowercase: all.lowercaseHex) == Array(all), "read back")
        #expect(Hex.bytes(lowercase: "") == [])
        for spelling in ["0", "0g", "DEAD", "de ad"] { #expect(Hex.bytes(lowercase: spelling) == nil, "\(spelling) is not lowercase hex") }
    }

    @Test func rawRowsReadEveryKindOfValue() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        try database.write { db in
            try db.execute(sql: "INSERT INTO notes VALUES (1, 'héllo', NULL, x'00ff10'), (2, '', 'a', x''), (3, NULL, 'a', NULL)")
        }
        let first = try database.readWithoutTransaction { db in
            try db.firstRow(Self.byID, .integer(1)) { row in
                (row.int64(0), row.text(1), row.optionalText(2), row.data(3), row.textEquals(1, "héllo"), row.isNull(2))
            }
        }
        let one = try #require(first)
        #expect(one.0 == 1 && one.1 == "héllo" && one.2 == nil && one.3 == Data([0, 0xFF, 0x10]) && one.4 && one.5)
        let empty = try database.readWithoutTransaction { db in
            try db.firstRow(Self.byID, .integer(2)) { row in (row.text(1), row.optionalText(1), row.data(3), row.textEquals(1, "")) }
        }
        #expect(empty?.0 == "" && empty?.1 == "" && empty?.2 == Data() && empty?.3 == true, "empty text and blob are not NULL")
        let null = try database.readWithoutTransaction { db in
            try db.firstRow(Self.byID, .integer(3)) { row in (row.optionalText(1), row.data(3), row.optionalInt64(3)) }
        }
        #expect(null?.0 == nil && null?.1 == nil && null?.2 == nil)
        let missing = try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(99)) { $0.int64(0) } }
        #expect(missing == nil)
        var tagged: [Int64] = []
        try database.readWithoutTransaction { db in try db.forEachRow(Self.byTag, .text("a")) { tagged.append($0.int64(0)) } }
        #expect(tagged == [2, 3])
        // An empty text argument binds '' (not NULL).
        let untagged = try database.readWithoutTransaction { db in try db.firstRow(Self.byTag, .text("")) { $0.int64(0) } }
        #expect(untagged == nil)
        try database.write { db in try db.execute(sql: "UPDATE notes SET tag = '' WHERE id = 1") }
        #expect(try database.readWithoutTransaction { db in try db.firstRow(Self.byTag, .text("")) { $0.int64(0) } } == 1)
    }

    /// `optionalInt64` tells a stored 0 from NULL (it asks the type only when it reads 0), and
    /// `terminatedTextEquals` matches whole texts only: not a prefix of the literal, not a text
    /// the literal is a prefix of, not NULL.
    @Test func rawRowsTellZeroFromNullAndCompareWholeTerminatedTexts() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        let values = LookupQuery("SELECT 0, NULL, -1, 'file', 'directory', 'fil', 'files', '', '{}'")
        let read = try database.readWithoutTransaction { db in
            try db.firstRow(values) { row -> ([Int64?], [Bool]) in
                ([row.optionalInt64(0), row.optionalInt64(1), row.optionalInt64(2)],
                 [row.terminatedTextEquals(3, "file"), row.terminatedTextEquals(4, "directory"), row.terminatedTextEquals(8, "{}"),
                  row.terminatedTextEquals(7, ""),
                  row.terminatedTextEquals(3, "directory"), row.terminatedTextEquals(5, "file"), row.terminatedTextEquals(6, "file"),
                  row.terminatedTextEquals(7, "{}"), row.terminatedTextEquals(8, ""), row.terminatedTextEquals(1, "")])
            }
        }
        let (integers, matches) = try #require(read)
        #expect(integers == [0, nil, -1])
        #expect(matches == [true, true, true, true, false, false, false, false, false, false])
    }

    @Test func aFailingStatementThrowsSQLitesErrorAndLeavesTheConnectionUsable() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        let broken = LookupQuery("SELECT body FROM nowhere")
        #expect {
            try database.readWithoutTransaction { db in try db.firstRow(broken) { $0.int64(0) } }
        } throws: { error in
            (error as? DatabaseError)?.resultCode == .SQLITE_ERROR && (error as? DatabaseError)?.message?.contains("nowhere") == true
        }
        try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'x')") }
        #expect(try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
    }

    @Test func aLookupSeesEachCommitAndHoldsNoSnapshotBetweenCalls() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        for id in 1...50 {
            try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (?, ?)", arguments: [id, "v\(id)"]) }
            let seen = try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(Int64(id))) { $0.text(1) } }
            #expect(seen == "v\(id)")
        }
        // No lookup connection keeps a read transaction.
        try expectNoSnapshotHeld(database)
    }

    @Test func insideAWriteALookupRunsOnTheWriterAndSeesItsUncommittedRows() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        let seen = try database.write { db -> String? in
            try db.execute(sql: "INSERT INTO notes (id, body) VALUES (7, 'uncommitted')")
            return try database.readWithoutTransaction { inner in
                #expect(inner === db, "the writer's own connection")
                return try inner.firstRow(Self.byID, .integer(7)) { $0.text(1) }
            }
        }
        #expect(seen == "uncommitted")
        // Inside a read, the lookup runs in that read's snapshot.
        let snapshot = try database.read { db -> (String?, String?) in
            let before = try database.readWithoutTransaction { inner in try inner.firstRow(Self.byID, .integer(7)) { $0.text(1) } }
            try? database.write { db in try db.execute(sql: "UPDATE notes SET body = 'later' WHERE id = 7") }
            let after = try database.readWithoutTransaction { inner in
                #expect(inner === db)
                return try inner.firstRow(Self.byID, .integer(7)) { $0.text(1) }
            }
            return (before, after)
        }
        #expect(snapshot.0 == "uncommitted" && snapshot.1 == "uncommitted", "one snapshot")
        #expect(try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(7)) { $0.text(1) } } == "later")
    }

    @Test func aLookupWithoutGRDBServesOutsideAccessesAndInsideLookupReadsButNotInsideAWrite() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        func body(_ id: Int64, _ tag: String) throws -> String? {
            try database.lookupFirstRow(Self.byIDAndTag, String(id), tag) { $0.text(0) }
        }
        try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body, tag) VALUES (1, 'one', 'a'), (3, 'three', '')") }
        #expect(try body(1, "a") == "one")
        #expect(try body(1, "b") == nil, "no row")
        #expect(try body(3, "") == "three", "an empty text binds ''")
        // Inside a write it does not serve (the writer's uncommitted rows need the writer): the
        // caller reads the usual way, on the writer.
        let inWrite = try database.write { db -> (String?, String?) in
            try db.execute(sql: "INSERT INTO notes (id, body, tag) VALUES (2, 'two', 'b')")
            let usual = try database.readWithoutTransaction { inner in try inner.firstRow(Self.byID, .integer(2)) { $0.text(1) } }
            return (try body(2, "b"), usual)
        }
        #expect(inWrite.0 == nil && inWrite.1 == "two")
        // Inside a read on a lookup connection it runs on that connection, in its snapshot.
        let inRead = try database.read { _ -> (String?, String?) in
            let before = try body(1, "a")
            try database.write { db in try db.execute(sql: "UPDATE notes SET body = 'later' WHERE id = 1") }
            return (before, try body(1, "a"))
        }
        #expect(inRead.0 == "one" && inRead.1 == "one", "one snapshot")
        #expect(try body(1, "a") == "later")
        // A failing statement throws SQLite's error and leaves the connection usable.
        let broken = LookupQuery("SELECT body FROM nowhere WHERE id = ? AND tag = ?")
        #expect {
            try database.lookupFirstRow(broken, "1", "a") { $0.text(0) }
        } throws: { error in (error as? DatabaseError)?.message?.contains("nowhere") == true }
        #expect(try body(2, "b") == "two")
        try expectNoSnapshotHeld(database)
    }

    @Test func aReadOfAnotherDatabaseInsideAnAccessRunsOnThatDatabasesOwnLookupConnection() throws {
        let directory = TemporaryDirectory()
        let first = try open(directory)
        let second = try StateDatabase(path: directory.path + "/other.sqlite", identity: DatabaseIdentity(role: "agent", agentID: "beta"),
                                       components: [Self.notes])
        try first.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'first')") }
        try second.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'second')") }
        func body(of database: StateDatabase) throws -> String? {
            try database.read { db in
                #expect(db.configuration.label?.hasSuffix(".lookup") == true, "a lookup connection of its own")
                return try db.firstRow(Self.byID, .integer(1)) { $0.text(1) }
            }
        }
        // Inside a read on a lookup connection of the first, a read of the second runs on the
        // second's connections (it ran on the first's, and read the first's rows).
        let nestedInRead = try first.read { _ in try body(of: second) }
        #expect(nestedInRead == "second")
        // Inside a write of the first, a read of the second needs no pool reader of the second.
        let nestedInWrite = try first.write { _ in try body(of: second) }
        #expect(nestedInWrite == "second")
        // And back inside the first from there: the first's own access, in its snapshot.
        let roundTrip = try first.write { db -> String? in
            try db.execute(sql: "UPDATE notes SET body = 'uncommitted' WHERE id = 1")
            return try second.read { _ in
                try first.readWithoutTransaction { inner in
                    #expect(inner === db, "the first's writer, three accesses out")
                    return try inner.firstRow(Self.byID, .integer(1)) { $0.text(1) }
                }
            }
        }
        #expect(roundTrip == "uncommitted")
    }

    @Test func closeAfterReadsCheckpointsTheWALIntoTheFile() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'x')") }
        #expect(try database.read { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
        #expect(try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
        try database.close()
        let walSize = ((try? FileManager.default.attributesOfItem(atPath: directory.path + "/db.sqlite-wal"))?[.size] as? NSNumber)?.intValue ?? 0
        #expect(walSize == 0, "closing the last connection checkpoints the WAL into the file")
    }

    @Test func aReadRunsInOneSnapshotOnALookupConnectionAndLeavesNoTransaction() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'first')") }
        let seen = try database.read { db -> (String?, String?) in
            #expect(db.configuration.label?.hasSuffix(".lookup") == true, "a lookup connection")
            #expect(db.isInsideTransaction)
            let before = try db.firstRow(Self.byID, .integer(1)) { $0.text(1) }
            try database.write { db in try db.execute(sql: "UPDATE notes SET body = 'second' WHERE id = 1") }
            // GRDB's own statements see the same snapshot as the lookup statements.
            let after = try String.fetchOne(db, sql: "SELECT body FROM notes WHERE id = 1")
            return (before, after)
        }
        #expect(seen.0 == "first" && seen.1 == "first", "one snapshot")
        #expect(try database.read { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "second")
        // A body that throws ends its transaction too.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try database.read { db in
                _ = try db.firstRow(Self.byID, .integer(1)) { $0.text(1) }
                throw Stop()
            }
        }
        // No connection holds a snapshot afterwards.
        try expectNoSnapshotHeld(database)
    }

    @Test func aReadOnALookupConnectionSeesASchemaChangedByTheWriter() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        #expect(try database.read { db in try db.columns(in: "notes").map(\.name) } == ["id", "body", "tag", "data"])
        try database.write { db in try db.execute(sql: "ALTER TABLE notes ADD COLUMN extra TEXT") }
        // GRDB's schema cache of the lookup connection was filled before the change: cleared.
        #expect(try database.read { db in try db.columns(in: "notes").map(\.name) } == ["id", "body", "tag", "data", "extra"])
    }

    @Test func concurrentLookupsBeyondTheConnectionsFallBackToThePool() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory, StateDatabaseOptions(maximumReaderCount: 2))
        try database.write { db in
            for id in 1...100 { try db.execute(sql: "INSERT INTO notes (id, body, tag) VALUES (?, ?, 't')", arguments: [id, "v\(id)"]) }
        }
        let failures = Failures()
        let served = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<500 {
                let id = Int64((worker * 500 + round) % 100 + 1)
                do {
                    let body = try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(id)) { $0.text(1) } }
                    if body != "v\(id)" { failures.add("\(id): \(body ?? "nil")") }
                    // Without GRDB: the right row, or nil when every lookup connection is lent out.
                    if let raw = try database.lookupFirstRow(Self.byIDAndTag, String(id), "t", body: { $0.text(0) }) {
                        if raw != "v\(id)" { failures.add("raw \(id): \(raw)") }
                        served.add("")
                    }
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        #expect(!served.all.isEmpty, "lookups without GRDB were served")
    }

    @Test func aDatabaseReleasedWithoutCloseLeavesNoFileOpen() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        func openFiles() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd))?.hasPrefix(path) == true
            }
        }
        do {
            let database = try open(directory)
            try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body, tag) VALUES (1, 'x', 't')") }
            // Statements prepared on lookup connections, with and without GRDB.
            #expect(try database.lookupFirstRow(Self.byIDAndTag, "1", "t") { $0.text(0) } == "x")
            #expect(try database.read { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
            #expect(try openFiles() > 0)
        }
        #expect(try openFiles() == 0, "every connection closed, its statements finalized")
    }

    @Test func closeClosesTheLookupConnections() throws {
        let directory = TemporaryDirectory()
        let database = try open(directory)
        try database.write { db in try db.execute(sql: "INSERT INTO notes (id, body) VALUES (1, 'x')") }
        #expect(try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
        try database.close()
        #expect(throws: (any Error).self) {
            try database.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } }
        }
        // Every connection is closed: nothing holds the WAL, and the file reopens.
        let reopened = try open(directory)
        #expect(try reopened.readWithoutTransaction { db in try db.firstRow(Self.byID, .integer(1)) { $0.text(1) } } == "x")
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}
