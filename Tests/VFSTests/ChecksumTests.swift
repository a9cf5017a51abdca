import Foundation
import GRDB
import Storage
import Testing
@testable import VFS

/// Every read path checks stored bytes against their checksums: damage is EIO, never wrong bytes.
@Suite struct ChecksumTests {
    static let small = VFSLimits(inlineLimit: 1024, chunkSize: 4096, stagingBatchBytes: 16384)

    /// Flips bytes of a stored blob in place (same length), as a bad disk would.
    static func damage(_ fixture: Fixture, sql: String, arguments: StatementArguments) throws {
        try fixture.fileSystem.database.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    @Test func damagedChunkIsEIOOnEveryReadPathAndNamed() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        let data = Data.pattern(20_000, seed: 7)
        try ws.writeFile("/big.bin", contents: data)
        try ws.writeFile("/other.bin", contents: Data.pattern(9000, seed: 9))
        let id = try fixture.count("SELECT content_id FROM vfs_entries WHERE path = '/big.bin'")
        // Invert 100 bytes of chunk 1 (bytes 4096-8191), leaving its length and checksum as they were.
        try Self.damage(fixture, sql: """
            UPDATE vfs_chunks SET data = CAST(substr(data, 1, 100) || zeroblob(100) || substr(data, 201) AS BLOB) WHERE content_id = ? AND chunk_index = 1
            """, arguments: [id])

        let whole = expectErrno(EIO) { _ = try ws.readFile("/big.bin") }
        #expect(whole?.isDamage == true)
        #expect(whole?.detail?.contains("chunk 1") == true, "\(String(describing: whole))")
        #expect(whole?.detail?.contains("checksum") == true)
        #expect(whole?.path == "/big.bin")
        expectErrno(EIO) { _ = try ws.read("/big.bin", offset: 5000, length: 10) }
        expectErrno(EIO) { try ws.streamFile("/big.bin") { _ in } }
        let handle = try ws.openFile("/big.bin")
        var buffer = [UInt8](repeating: 0, count: 4096)
        expectErrno(EIO) { _ = try buffer.withUnsafeMutableBytes { try fixture.fileSystem.read(handle, offset: 4096, into: $0) } }
        // Undamaged chunks and files still read, and the identity is unchanged.
        #expect(try ws.read("/big.bin", offset: 0, length: 4096) == data.prefix(4096))
        #expect(try ws.read("/big.bin", offset: 8192, length: 100) == data.subdata(in: 8192..<8292))
        #expect(try ws.readFile("/other.bin") == Data.pattern(9000, seed: 9))
        #expect(try ws.stat("/big.bin").sha256 != nil)

        let verification = try fixture.fileSystem.verifyContents()
        #expect(verification.damaged.map(\.path) == ["/big.bin"])
        #expect(verification.damaged.first?.problem.contains("chunk 1") == true)
        #expect(verification.contents == 2)
        #expect(verification.bytes == 29_000)
    }

    /// The stored checksum is xxHash's XXH3-64 as Debian's libxxhash computes it, whichever
    /// vector unit the inline implementation picks: values from `XXH3_64bits` of the library.
    @Test func checksumsAreXXH3() {
        #expect(ContentChecksum.of(Data()) == Int64(bitPattern: 0x2d06800538d394c2))
        let bytes = Data((0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(ContentChecksum.of(bytes) == Int64(bitPattern: 0x0563d19d53652969))
    }

    @Test func damagedInlineContentIsEIO() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        try ws.writeFile("/small.txt", contents: Data("hello, checksums".utf8))
        let id = try fixture.count("SELECT content_id FROM vfs_entries WHERE path = '/small.txt'")
        try Self.damage(fixture, sql: "UPDATE vfs_contents SET inline_data = CAST('jello, checksums' AS BLOB) WHERE id = ?", arguments: [id])
        let error = expectErrno(EIO) { _ = try ws.readFile("/small.txt") }
        #expect(error?.isDamage == true)
        expectErrno(EIO) { _ = try ws.openFile("/small.txt") }
        expectErrno(EIO) { _ = try ws.read("/small.txt", offset: 0, length: 5) }
        #expect(try fixture.fileSystem.verifyContents().damaged.map(\.path) == ["/small.txt"])
    }

    @Test func missingChunkIsReportedByVerification() throws {
        let fixture = try Fixture(limits: Self.small)
        try fixture.workspace.writeFile("/f", contents: Data.pattern(10_000))
        let id = try fixture.count("SELECT content_id FROM vfs_entries WHERE path = '/f'")
        try Self.damage(fixture, sql: "DELETE FROM vfs_chunks WHERE content_id = ? AND chunk_index = 2", arguments: [id])
        let damaged = try fixture.fileSystem.verifyContents().damaged
        #expect(damaged.count == 1)
        #expect(damaged.first?.problem.contains("2 of its 3 chunks") == true, "\(damaged)")
    }

    @Test func streamedWritesCarryChecksums() throws {
        let fixture = try Fixture(limits: Self.small)
        let data = Data.pattern(50_000, seed: 3)
        var offset = 0
        try fixture.workspace.writeFile("/streamed") { buffer in
            let count = min(buffer.count, data.count - offset)
            data.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + count])) }
            offset += count
            return count
        }
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks WHERE checksum IS NULL") == 0)
        #expect(try fixture.workspace.readFile("/streamed") == data)
        #expect(try fixture.fileSystem.verifyContents().damaged.isEmpty)
    }

    /// A database written by the version-1 tables (no checksums) gains them on its next open,
    /// each chunk rewritten once, and reads back as before.
    @Test func versionOneDatabaseGainsChecksums() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/agent.sqlite"
        let identity = DatabaseIdentity(role: "agent", agentID: "test")
        let versionOne = SchemaComponent(name: "vfs", version: 1) { db, _ in
            try db.execute(sql: VirtualFileSystem.schemaVersion1)
            try db.execute(sql: "INSERT INTO vfs_namespaces (name, created_at_ns, updated_at_ns) VALUES ('workspace', 1, 1)")
        }
        let big = Data.pattern(150_000, seed: 5)
        do {
            let old = try StateDatabase(path: path, identity: identity, components: [versionOne])
            try old.write { db in
                try db.execute(sql: "INSERT INTO vfs_contents (id, size, sha256, chunk_size, inline_data, ref_count) VALUES (1, 5, NULL, 65536, CAST('small' AS BLOB), 0)")
                try db.execute(sql: "INSERT INTO vfs_contents (id, size, sha256, chunk_size, ref_count) VALUES (2, ?, NULL, 65536, 0)", arguments: [big.count])
                for index in 0..<3 {
                    let chunk = big.subdata(in: index * 65536..<min(big.count, (index + 1) * 65536))
                    try db.execute(sql: "INSERT INTO vfs_chunks (content_id, chunk_index, data) VALUES (2, ?, ?)", arguments: [index, chunk])
                }
                for (path, id, size) in [("/small", 1, 5), ("/big", 2, big.count)] {
                    try db.execute(sql: """
                        INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id)
                        VALUES ('workspace', ?, '/', ?, 'file', 420, ?, 1, 1, ?)
                        """, arguments: [path, String(path.dropFirst()), size, id])
                }
            }
            try old.close()
        }
        let database = try StateDatabase(path: path, identity: identity, components: [VirtualFileSystem.schema])
        #expect(try database.schemaVersions().components["vfs"] == 3)
        let vfs = VirtualFileSystem(database: database)
        let ws = try vfs.namespace("workspace")
        #expect(try ws.readFile("/small") == Data("small".utf8))
        #expect(try ws.readFile("/big") == big)
        let unchecked = try database.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM vfs_chunks WHERE checksum IS NULL) + (SELECT count(*) FROM vfs_contents WHERE inline_data IS NOT NULL AND inline_checksum IS NULL)")
        }
        #expect(unchecked == 0)
        let verification = try vfs.verifyContents()
        #expect(verification.damaged.isEmpty)
        #expect(verification.bytes == Int64(big.count + 5))
        // Version 3's triggers: a removal releases the content instead of deleting it, so a
        // handle opened before reads on.
        let handle = try ws.openFile("/big")
        try ws.remove("/big")
        #expect(try vfs.releasedContents().count == 1)
        var buffer = [UInt8](repeating: 0, count: 1000)
        #expect(try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 100_000, into: $0) } == 1000)
        #expect(Data(buffer) == big.subdata(in: 100_000..<101_000))
    }
}
