import Foundation
import GRDB
import Testing
@testable import VFS

@Suite struct ChangeLogTests {
    @Test func everyMutationLogsTheSubtreeItChanged() throws {
        let fixture = try Fixture()
        let vfs = fixture.fileSystem
        let ws = fixture.workspace
        var position = try vfs.latestChangeSequence()
        func drain() throws -> [String] {
            let page = try vfs.changes(after: position)
            #expect(page.isComplete)
            position = page.lastSequence
            return page.changes.map { "\($0.namespace):\($0.path)" }
        }
        try ws.writeFile("/a/b/c.txt", contents: Data("1".utf8))
        #expect(try drain() == ["workspace:/a"], "the topmost created directory")
        try ws.writeFile("/a/b/c.txt", contents: Data("2".utf8))
        #expect(try drain() == ["workspace:/a/b/c.txt"])
        try ws.makeDirectory("/a/d")
        #expect(try drain() == ["workspace:/a/d"])
        try ws.move("/a/b", to: "/a/e")
        #expect(try drain() == ["workspace:/a/b", "workspace:/a/e"])
        try vfs.copy("/a/e", from: "workspace", to: "/x", in: "run:1", recursive: true)
        #expect(try drain() == ["run:1:/", "run:1:/x"])
        try ws.remove("/a", recursive: true)
        #expect(try drain() == ["workspace:/a"])
        try vfs.fork("workspace", to: "snapshot:s")
        try vfs.removeNamespace("snapshot:s")
        #expect(try drain() == ["snapshot:s:/", "snapshot:s:/"])
        let source = TemporaryDirectory()
        try Data("f".utf8).write(to: URL(fileURLWithPath: source.path + "/f"))
        try ws.importDirectory(source.path, to: "/in/here")
        #expect(try drain() == ["workspace:/in"])
        // Failed mutations log nothing.
        expectErrno(ENOENT) { try ws.remove("/nope") }
        #expect(try drain().isEmpty)
    }

    @Test func aReaderThatFellBehindTheTrimmedLogIsTold() throws {
        let fixture = try Fixture()
        try fixture.fileSystem.database.write { db in
            for _ in 0..<(10_239 - (try Int.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM vfs_changes") ?? 0)) {
                try db.execute(sql: "INSERT INTO vfs_changes (namespace, path, changed_at_ns) VALUES ('workspace', '/', 0)")
            }
        }
        try fixture.workspace.writeFile("/f", contents: Data())  // sequence 10240 trims the oldest records
        #expect(try fixture.fileSystem.latestChangeSequence() == 10_240)
        #expect(try fixture.count("SELECT count(*) FROM vfs_changes") == Int(VirtualFileSystem.changeLogCapacity))
        #expect(try !fixture.fileSystem.changes(after: 0).isComplete)
        #expect(try fixture.fileSystem.changes(after: 10_239).isComplete)
        #expect(try fixture.fileSystem.changes(after: 10_240).changes.isEmpty)
    }
}

@Suite struct FileHandleTests {
    @Test func aHandleReadsTheVersionItOpened() throws {
        let fixture = try Fixture(limits: VFSLimits(inlineLimit: 100, chunkSize: 1000, stagingBatchBytes: 4000))
        let vfs = fixture.fileSystem
        let ws = fixture.workspace
        let first = Data.pattern(5000, seed: 1)
        try ws.writeFile("/f", contents: first)
        let handle = try ws.openFile("/f")
        #expect(handle.size == 5000)
        var buffer = [UInt8](repeating: 0, count: 1500)
        let count = try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 900, into: $0) }
        #expect(count == 1500)
        #expect(Data(buffer) == first.subdata(in: 900..<2400))
        // A snapshot keeps the first version alive: the old handle still reads it after a rewrite.
        try vfs.fork("workspace", to: "snapshot:keep")
        try ws.writeFile("/f", contents: Data.pattern(5000, seed: 2))
        let tail = try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 4000, into: $0) }
        #expect(tail == 1000)
        #expect(Data(buffer[0..<1000]) == first.subdata(in: 4000..<5000))
        // Once nothing refers to it, the handle reads it whole for the grace period (as ext4 keeps
        // an unlinked file's data for its open descriptors) ...
        try vfs.removeNamespace("snapshot:keep")
        #expect(try vfs.releasedContents().count == 1)
        #expect(try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 3500, into: $0) } == 1500)
        #expect(Data(buffer) == first.subdata(in: 3500..<5000))
        #expect(try vfs.openVersion(of: try ws.attributes("/f")).contentID != handle.contentID)
        // ... and once it is collected the handle is stale rather than mixing versions.
        #expect(try vfs.collectReleasedContents(olderThan: .seconds(3600)) == 0)
        #expect(try vfs.collectReleasedContents(olderThan: .zero) == 1)
        #expect(try vfs.releasedContents().count == 0)
        expectErrno(ESTALE) { _ = try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 0, into: $0) } }
        #expect(try buffer.withUnsafeMutableBytes { try vfs.read(handle, offset: 6000, into: $0) } == 0)
        expectErrno(EISDIR) { _ = try ws.openFile("/") }
        expectErrno(ENOENT) { _ = try ws.openFile("/nope") }
        #expect(try ws.attributes("/f").sha256 == nil)
        #expect(try ws.attributes("/").isDirectory)
    }

    @Test func aFreedContentIdIsNeverReusedUnderAnOpenHandle() throws {
        // No grace period: the write that drops a content's last entry frees it.
        var limits = VFSLimits(inlineLimit: 100, chunkSize: 1000, stagingBatchBytes: 4000)
        limits.releasedContentGrace = .zero
        let fixture = try Fixture(limits: limits)
        let ws = fixture.workspace
        try ws.writeFile("/x", contents: Data(repeating: 1, count: 3000))
        let handle = try ws.openFile("/x")
        try ws.remove("/x")
        try ws.writeFile("/x", contents: Data(repeating: 2, count: 3000))
        var buffer = [UInt8](repeating: 0, count: 100)
        expectErrno(ESTALE) { _ = try buffer.withUnsafeMutableBytes { try fixture.fileSystem.read(handle, offset: 2000, into: $0) } }
        #expect(try ws.openFile("/x").contentID != handle.contentID)
        #expect(try fixture.fileSystem.releasedContents().count == 0)
    }

    @Test func aVersionOpenedByItsEntryReadsWholeAcrossRewritesUntilCollected() throws {
        let fixture = try Fixture(limits: VFSLimits(inlineLimit: 100, chunkSize: 1000, stagingBatchBytes: 4000))
        let vfs = fixture.fileSystem
        let ws = fixture.workspace
        let first = Data.pattern(3000, seed: 3)
        try ws.writeFile("/v", contents: first)
        try ws.writeFile("/small", contents: Data("tiny".utf8))
        let chunked = try ws.attributes("/v")
        let inline = try ws.attributes("/small")
        #expect(chunked.contentID != nil && inline.contentID != nil && chunked.contentID != inline.contentID)
        #expect(try ws.list("/").map(\.contentID).contains(chunked.contentID))
        try ws.writeFile("/v", contents: Data.pattern(3000, seed: 4))
        try ws.remove("/small")
        // The versions the entries named, not what the paths hold now.
        let old = try vfs.openVersion(of: chunked)
        #expect(!old.isInline && old.size == 3000)
        var buffer = [UInt8](repeating: 0, count: 3000)
        #expect(try buffer.withUnsafeMutableBytes { try vfs.read(old, offset: 0, into: $0) } == 3000)
        #expect(Data(buffer) == first)
        let tiny = try vfs.openVersion(of: inline)
        #expect(tiny.isInline && tiny.size == 4)
        #expect(try vfs.releasedContents().count == 2)
        expectErrno(EISDIR) { _ = try vfs.openVersion(of: try ws.attributes("/")) }
        #expect(try vfs.collectReleasedContents(olderThan: .zero) == 2)
        expectErrno(ESTALE) { _ = try vfs.openVersion(of: chunked) }
        expectErrno(ESTALE) { _ = try vfs.openVersion(of: inline) }
        expectErrno(ESTALE) { _ = try buffer.withUnsafeMutableBytes { try vfs.read(old, offset: 0, into: $0) } }
        // The JSON form of an entry does not carry the content id.
        let json = String(decoding: try JSONEncoder().encode(try ws.attributes("/v")), as: UTF8.self)
        #expect(!json.contains("contentID"))
    }

    @Test func inlineHandles() throws {
        let fixture = try Fixture()
        try fixture.workspace.writeFile("/small", contents: Data("hello world".utf8))
        let handle = try fixture.workspace.openFile("/small")
        var buffer = [UInt8](repeating: 0, count: 5)
        #expect(try buffer.withUnsafeMutableBytes { try fixture.fileSystem.read(handle, offset: 6, into: $0) } == 5)
        #expect(String(decoding: buffer, as: UTF8.self) == "world")
    }
}
