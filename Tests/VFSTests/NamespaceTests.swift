import Foundation
import Storage
import Testing
@testable import VFS

@Suite struct NamespaceTests {
    @Test func forkSharesContentAndDiffReportsChanges() throws {
        let fixture = try Fixture()
        let vfs = fixture.fileSystem
        let ws = fixture.workspace
        try ws.writeFile("/keep", contents: .pattern(100_000))
        try ws.writeFile("/change", contents: Data("v1".utf8))
        try ws.writeFile("/remove/me", contents: Data("bye".utf8))
        let contents = try fixture.count("SELECT count(*) FROM vfs_contents")
        let chunks = try fixture.count("SELECT count(*) FROM vfs_chunks")

        let info = try vfs.fork("workspace", to: "run:42")
        #expect(info.entries == 4)
        #expect(info.forkedFrom == "workspace")
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == contents, "a fork copies no content")
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks") == chunks)
        #expect(try vfs.diff("workspace", "run:42").isEmpty)

        let run = try vfs.namespace("run:42")
        try run.writeFile("/change", contents: Data("v2".utf8))
        try run.remove("/remove", recursive: true)
        try run.writeFile("/added", contents: Data("new".utf8))
        try run.writeFile("/keep", contents: .pattern(100_000))  // same bytes, new content row
        let diff = try vfs.diff("workspace", "run:42")
        #expect(diff.added == ["/added"])
        #expect(diff.removed == ["/remove", "/remove/me"])
        #expect(diff.changed == ["/change"], "equal bytes are not a change")
        #expect(try ws.readFile("/change") == Data("v1".utf8))
        expectErrno(EEXIST) { try vfs.fork("workspace", to: "run:42") }
        expectErrno(ENOENT) { try vfs.fork("run:missing", to: "run:43") }
        expectErrno(EINVAL) { try vfs.fork("workspace", to: "run:") }
    }

    @Test func sharedContentIsFreedOnlyWhenUnreferenced() throws {
        let fixture = try Fixture()
        let vfs = fixture.fileSystem
        try fixture.workspace.writeFile("/shared", contents: .pattern(200_000))
        try vfs.fork("workspace", to: "snapshot:a")
        try fixture.workspace.remove("/shared")
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 1, "the snapshot still refers to it")
        #expect(try vfs.namespace("snapshot:a").readFile("/shared") == .pattern(200_000))
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE released_at_ns IS NOT NULL") == 0)
        try vfs.removeNamespace("snapshot:a")
        // Released with its last entry, kept for the grace period, then freed with its chunks.
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE released_at_ns IS NOT NULL") == 1)
        #expect(try vfs.collectReleasedContents(olderThan: .zero) == 1)
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 0)
        #expect(try fixture.count("SELECT count(*) FROM vfs_chunks") == 0)
        #expect(try !vfs.namespaces().map(\.name).contains("snapshot:a"))
    }

    @Test func countersFollowEveryMutation() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        try ws.writeFile("/a/b/c", contents: Data(count: 10))
        try ws.writeFile("/a/d", contents: Data(count: 5))
        try fixture.fileSystem.copy("/a", from: "workspace", to: "/z", in: "workspace", recursive: true)
        try ws.writeFile("/a/d", contents: Data(count: 7))
        try ws.move("/a/b", to: "/moved")
        try ws.remove("/z", recursive: true)
        let info = try fixture.fileSystem.namespaceInfo("workspace")
        let actual = try ws.diskUsage("/")
        #expect(info.entries == actual.files + actual.directories - 1)
        #expect(info.bytes == actual.bytes)
        #expect(info.bytes == 17)
    }

    @Test func quotasFailWithoutChangingAnything() throws {
        let fixture = try Fixture(limits: VFSLimits(maxFileBytes: 1000, inlineLimit: 100, chunkSize: 256, stagingBatchBytes: 512))
        let vfs = fixture.fileSystem
        let ws = fixture.workspace
        expectErrno(EFBIG) { try ws.writeFile("/big", contents: Data(count: 1001)) }
        var sent = 0
        expectErrno(EFBIG) {
            try ws.writeFile("/big") { buffer in
                sent += buffer.count
                return sent > 5000 ? 0 : buffer.count
            }
        }
        try vfs.setQuota("workspace", NamespaceQuota(maxBytes: 1500, maxEntries: 3))
        try ws.writeFile("/one", contents: Data(count: 900))
        expectErrno(EDQUOT) { try ws.writeFile("/two", contents: Data(count: 700)) }
        try ws.writeFile("/two", contents: Data(count: 500))
        expectErrno(EDQUOT) { try ws.makeDirectory("/d/e", intermediates: true) }
        expectErrno(EDQUOT) { try vfs.copy("/one", from: "workspace", to: "/three", in: "workspace") }
        #expect(try ws.list("/").map(\.name) == ["one", "two"])
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 2)
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE staging_since_ns IS NOT NULL") == 0)
        // Lowering a quota below usage still allows deletions and shrinking.
        try vfs.setQuota("workspace", NamespaceQuota(maxBytes: 10))
        try ws.writeFile("/one", contents: Data(count: 1))
        try ws.remove("/two")
        #expect(try vfs.namespaceInfo("workspace").bytes == 1)
        expectErrno(EINVAL) { try vfs.setQuota("workspace", NamespaceQuota(maxBytes: -1)) }
        // A copy into a namespace with a smaller file size limit fails too.
        try vfs.setQuota("run:small", NamespaceQuota(maxFileBytes: 0))
        expectErrno(EFBIG) { try vfs.copy("/one", from: "workspace", to: "/one", in: "run:small") }
        // A fork inherits the quotas.
        #expect(try vfs.fork("workspace", to: "run:q").maxBytes == 10)
    }

    @Test func theBuiltInNamespacesAreTheDeclaredOnes() throws {
        let fixture = try Fixture()
        expectErrno(EPERM) { try fixture.fileSystem.removeNamespace("skills") }
        let directory = TemporaryDirectory()
        let plain = VirtualFileSystem(database: try StateDatabase(
            path: directory.path + "/plain.sqlite", identity: DatabaseIdentity(role: "agent", agentID: "test"),
            components: [VirtualFileSystem.schema]))
        #expect(try plain.namespaces().map(\.name) == ["workspace"])
        expectErrno(EPERM) { try plain.removeNamespace("workspace") }
    }

    @Test func namespacesAreListedAndCreated() throws {
        let fixture = try Fixture()
        let vfs = fixture.fileSystem
        #expect(try vfs.namespaces().map(\.name) == ["skills", "workspace"])
        try vfs.createNamespace("run:abc")
        try vfs.namespace("run:def").writeFile("/x", contents: Data("1".utf8))
        #expect(try vfs.namespaces().map(\.name) == ["run:abc", "run:def", "skills", "workspace"])
        #expect(try vfs.namespace("run:abc").list("/").isEmpty)
        #expect(try vfs.namespace("workspace").list("/").isEmpty)
    }
}
