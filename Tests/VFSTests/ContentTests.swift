import Crypto
import Foundation
import GRDB
import Testing
@testable import VFS

@Suite struct ContentTests {
    static let small = VFSLimits(inlineLimit: 1024, chunkSize: 4096, stagingBatchBytes: 16384)

    @Test func inlineAndChunkedRoundTrip() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        for size in [0, 1, 1024, 1025, 4095, 4096, 4097, 12_288, 40_000] {
            let data = Data.pattern(size, seed: UInt8(size % 251))
            let entry = try ws.writeFile("/f\(size)", contents: data)
            #expect(try ws.readFile("/f\(size)") == data, "size \(size)")
            #expect(entry.sha256 == SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
        }
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE inline_data IS NOT NULL") == 3)
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks WHERE content_id = (SELECT content_id FROM vfs_entries WHERE path = '/f40000')") == 10)
    }

    @Test func anEntrysHashIsItsTextWhereverItComesFrom() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        let data = Data.pattern(3000)
        let hex = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let written = try ws.writeFile("/f", contents: data)
        let stat = try ws.stat("/f")
        #expect(written.sha256 == hex && stat.sha256 == hex)
        // An entry made from the text equals and hashes as the one read from the database.
        let made = VFSEntry(path: "/f", kind: .file, mode: stat.mode, size: stat.size, mtimeNanoseconds: stat.mtimeNanoseconds,
                            ctimeNanoseconds: stat.ctimeNanoseconds, sha256: hex, metadataJSON: stat.metadataJSON, contentID: stat.contentID)
        #expect(made == stat && made.hashValue == stat.hashValue)
        // Any other text is kept as given (and differs from the lowercase digest).
        for other in [hex.uppercased(), "abc", "", String(hex.dropLast()) + "g"] {
            var entry = stat
            entry.sha256 = other
            #expect(entry.sha256 == other && entry != stat)
        }
        // JSON carries the hex text, and no key at all without a hash.
        let json = try JSONEncoder().encode(stat)
        let object = try #require(JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["sha256"] as? String == hex)
        var decoded = try JSONDecoder().decode(VFSEntry.self, from: json)
        decoded.contentID = stat.contentID
        #expect(decoded == stat)
        let directory = try ws.stat("/")
        #expect(directory.sha256 == nil)
        let directoryObject = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(directory)) as? [String: Any])
        #expect(directoryObject["sha256"] == nil && directoryObject["path"] as? String == "/")
    }

    @Test func rangeReadsTouchOnlyTheirChunks() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        let data = Data.pattern(40_000)
        try ws.writeFile("/big", contents: data)
        for (offset, length) in [(0, 10), (4090, 20), (8192, 4096), (39_990, 100), (40_000, 5), (50_000, 1), (0, 40_000)] {
            let expected = offset < data.count ? data.subdata(in: offset..<min(data.count, offset + length)) : Data()
            #expect(try ws.read("/big", offset: Int64(offset), length: length) == expected, "\(offset)+\(length)")
        }
        // A range read over one chunk reads one chunk row: remove the others and it still works.
        let id = try fixture.count("SELECT content_id FROM vfs_entries WHERE path = '/big'")
        try fixture.fileSystem.database.write { db in
            try db.execute(sql: "DELETE FROM vfs_chunks WHERE content_id = ? AND chunk_index <> 2", arguments: [id])
        }
        #expect(try ws.read("/big", offset: 8200, length: 100) == data.subdata(in: 8200..<8300))
        let error = expectErrno(EIO) { _ = try ws.readFile("/big") }
        #expect(error?.detail?.contains("missing") == true)
    }

    @Test func streamedWriteIsStagedAndPublishedWhole() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        let data = Data.pattern(100_000, seed: 3)
        var offset = 0
        let entry = try ws.writeFile("/streamed", options: WriteOptions(mode: 0o640)) { buffer in
            let count = min(buffer.count, data.count - offset, 777)
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<offset + count)
            offset += count
            return count
        }
        #expect(entry.size == 100_000)
        #expect(entry.mode == 0o640)
        #expect(try ws.readFile("/streamed") == data)
        var streamed = Data()
        try ws.streamFile("/streamed") { streamed.append($0) }
        #expect(streamed == data)
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE staging_since_ns IS NOT NULL") == 0)
    }

    @Test func failedStreamLeavesTheOldFileAndNoGarbage() throws {
        let fixture = try Fixture(limits: Self.small)
        let ws = fixture.workspace
        try ws.writeFile("/f", contents: Data("old".utf8))
        struct SourceFailed: Error {}
        var produced = 0
        #expect(throws: SourceFailed.self) {
            try ws.writeFile("/f") { buffer in
                produced += buffer.count
                if produced > 50_000 { throw SourceFailed() }
                buffer.initializeMemory(as: UInt8.self, repeating: 7)
                return buffer.count
            }
        }
        #expect(try ws.readFile("/f") == Data("old".utf8))
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 1)
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks") == 0)
    }

    @Test func anUploadCollectedMidwayFailsWithESTALEAndChangesNothing() throws {
        for collectAtEnd in [false, true] {
            let fixture = try Fixture(limits: Self.small)
            let ws = fixture.workspace
            try ws.writeFile("/f", contents: Data("old".utf8))
            var batches = 0
            let error = expectErrno(ESTALE) {
                try ws.writeFile("/f") { buffer in
                    batches += 1
                    if batches == (collectAtEnd ? 4 : 2) {
                        // Another writer's cleanup finds this upload idle for over an hour.
                        try fixture.fileSystem.database.write { db in
                            try db.execute(sql: "UPDATE vfs_contents SET staging_since_ns = 1 WHERE staging_since_ns IS NOT NULL")
                        }
                        #expect(try fixture.fileSystem.collectAbandonedUploads() == 1)
                    }
                    if batches >= 4 { return 0 }
                    buffer.initializeMemory(as: UInt8.self, repeating: 9)
                    return buffer.count
                }
            }
            #expect(error?.detail?.contains("idle for over an hour") == true)
            #expect(try ws.readFile("/f") == Data("old".utf8))
            #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 1)
            #expect(try fixture.count("SELECT count(*) FROM vfs_chunks") == 0)
        }
    }

    @Test func hugeOffsetsAndLengthsDoNotTrap() throws {
        let fixture = try Fixture()
        try fixture.workspace.writeFile("/f", contents: Data("abc".utf8))
        #expect(try fixture.workspace.read("/f", offset: Int64.max - 1, length: Int.max).isEmpty)
        #expect(try fixture.workspace.read("/f", offset: 1, length: Int.max) == Data("bc".utf8))
        let handle = try fixture.workspace.openFile("/f")
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try buffer.withUnsafeMutableBytes { try fixture.fileSystem.read(handle, offset: Int64.max, into: $0) } == 0)
    }

    @Test func abandonedUploadsAreCollected() throws {
        let fixture = try Fixture(limits: Self.small)
        try fixture.fileSystem.database.write { db in
            try db.execute(sql: "INSERT INTO vfs_contents (size, chunk_size, staging_since_ns) VALUES (0, 4096, 1)")
            try db.execute(sql: "INSERT INTO vfs_chunks (content_id, chunk_index, data) VALUES (last_insert_rowid(), 0, x'00')")
        }
        #expect(try fixture.fileSystem.collectAbandonedUploads() == 1)
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks") == 0)
    }

    @Test func metadataAndReadOfMissingContentIsEIO() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        try ws.writeFile("/m", contents: Data("x".utf8), options: WriteOptions(metadataJSON: #"{ "b": 1, "a": [true] }"#))
        #expect(try ws.stat("/m").metadataJSON == #"{"a":[true],"b":1}"#)
    }
}
