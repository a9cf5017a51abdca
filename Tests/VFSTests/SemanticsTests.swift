import Foundation
import Storage
import Testing
@testable import VFS

@Suite struct SemanticsTests {
    @Test func writeReadStatAndOverwrite() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        let entry = try ws.writeFile("notes/todo.md", contents: Data("hello".utf8), options: WriteOptions(mode: 0o600, metadataJSON: #"{"source":"test"}"#))
        #expect(entry.path == "/notes/todo.md")
        #expect(entry.size == 5)
        #expect(entry.mode == 0o600)
        #expect(entry.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(try ws.readFile("/notes/todo.md") == Data("hello".utf8))
        #expect(try ws.stat("/notes").isDirectory)
        #expect(try ws.stat("/notes/todo.md").metadataJSON == #"{"source":"test"}"#)
        try ws.writeFile("/notes/todo.md", contents: Data("bye".utf8))
        let replaced = try ws.stat("/notes/todo.md")
        #expect(replaced.size == 3)
        #expect(replaced.mode == 0o600, "an overwrite keeps the mode")
        #expect(replaced.metadataJSON == #"{"source":"test"}"#, "an overwrite keeps the metadata")
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents WHERE released_at_ns IS NULL") == 1, "the old content was released")
        #expect(try fixture.fileSystem.collectReleasedContents(olderThan: .zero) == 1)
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == 1, "the old content was freed")
    }

    @Test func nanosecondTimesAndParentMtime() throws {
        let ws = try Fixture().workspace
        try ws.makeDirectory("/d")
        let before = try ws.stat("/d").mtimeNanoseconds
        try ws.writeFile("/d/f", contents: Data(), options: WriteOptions(mtimeNanoseconds: 1_234_567_890_123_456_789))
        #expect(try ws.stat("/d/f").mtimeNanoseconds == 1_234_567_890_123_456_789)
        #expect(try ws.stat("/d").mtimeNanoseconds >= before)
        #expect(try ws.stat("/d/f").size == 0)
        #expect(try ws.readFile("/d/f").isEmpty)
    }

    @Test func listingIsSortedAndDirect() throws {
        let ws = try Fixture().workspace
        for name in ["b", "a", "c/d", "c/e/f", "a b", "a-b"] { try ws.writeFile("/" + name, contents: Data(name.utf8)) }
        #expect(try ws.list("/").map(\.name) == ["a", "a b", "a-b", "b", "c"])
        #expect(try ws.list("/c").map(\.path) == ["/c/d", "/c/e"])
        #expect(try ws.list("/c/d").map(\.path) == ["/c/d"], "listing a file gives the file")
        var walked: [String] = []
        try ws.walk("/c") { walked.append($0.path) }
        #expect(walked == ["/c", "/c/d", "/c/e", "/c/e/f"])
        let usage = try ws.diskUsage("/")
        #expect(usage.files == 6)
        #expect(usage.bytes == Int64(["b", "a", "c/d", "c/e/f", "a b", "a-b"].map(\.utf8.count).reduce(0, +)))
    }

    @Test func specialCharactersDoNotLeakIntoRanges() throws {
        let ws = try Fixture().workspace
        try ws.writeFile("/a%/x", contents: Data("1".utf8))
        try ws.writeFile("/a_/y", contents: Data("2".utf8))
        try ws.writeFile("/ab/z", contents: Data("3".utf8))
        try ws.writeFile("/a/w", contents: Data("4".utf8))
        try ws.writeFile("/a0", contents: Data("5".utf8))
        try ws.remove("/a", recursive: true)
        #expect(try ws.list("/").map(\.name) == ["a%", "a0", "a_", "ab"])
        try ws.move("/a%", to: "/moved")
        #expect(try ws.readFile("/moved/x") == Data("1".utf8))
        #expect(try ws.readFile("/a_/y") == Data("2".utf8))
    }

    @Test func errnos() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        try ws.writeFile("/file", contents: Data("x".utf8))
        try ws.makeDirectory("/dir")
        try ws.writeFile("/full/child", contents: Data("y".utf8))

        expectErrno(ENOENT) { _ = try ws.stat("/nope") }
        expectErrno(ENOENT) { _ = try ws.readFile("/nope/deeper") }
        expectErrno(ENOTDIR) { _ = try ws.stat("/file/child") }
        expectErrno(ENOTDIR) { try ws.writeFile("/file/child", contents: Data()) }
        expectErrno(ENOTDIR) { try ws.makeDirectory("/file/sub", intermediates: true) }
        expectErrno(EISDIR) { _ = try ws.readFile("/dir") }
        expectErrno(EISDIR) { _ = try ws.readFile("/") }
        expectErrno(EISDIR) { try ws.writeFile("/dir", contents: Data()) }
        expectErrno(EISDIR) { try ws.writeFile("/", contents: Data()) }
        expectErrno(EEXIST) { try ws.makeDirectory("/dir") }
        expectErrno(EEXIST) { try ws.makeDirectory("/file", intermediates: true) }
        expectErrno(EEXIST) { try ws.writeFile("/file", contents: Data(), options: WriteOptions(exclusive: true)) }
        expectErrno(ENOENT) { try ws.makeDirectory("/missing/sub") }
        expectErrno(ENOENT) { try ws.writeFile("/missing/f", contents: Data(), options: WriteOptions(createParents: false)) }
        expectErrno(ENOTEMPTY) { try ws.remove("/full") }
        expectErrno(ENOENT) { try ws.remove("/nope") }
        expectErrno(EBUSY) { try ws.remove("/", recursive: true) }
        expectErrno(EINVAL) { try ws.move("/full", to: "/full/inside") }
        expectErrno(EISDIR) { try ws.move("/file", to: "/dir") }
        expectErrno(ENOTDIR) { try ws.move("/dir", to: "/file") }
        expectErrno(ENOTEMPTY) { try ws.move("/dir", to: "/full") }
        expectErrno(ENOENT) { try ws.move("/nope", to: "/x") }
        expectErrno(ENOENT) { try ws.move("/file", to: "/missing/x") }
        expectErrno(EBUSY) { try ws.move("/", to: "/x") }
        expectErrno(EXDEV) { try fixture.fileSystem.move("/file", from: "workspace", to: "/file", in: "run:1") }
        expectErrno(EISDIR) { try fixture.fileSystem.copy("/dir", from: "workspace", to: "/dir2", in: "workspace") }
        expectErrno(EINVAL) { try fixture.fileSystem.copy("/full", from: "workspace", to: "/full/x", in: "workspace", recursive: true) }
        expectErrno(EINVAL) { try ws.writeFile("/m", contents: Data(), options: WriteOptions(metadataJSON: "[1]")) }
        expectErrno(EINVAL) { _ = try ws.read("/file", offset: -1, length: 1) }
        expectErrno(EINVAL) { _ = try fixture.fileSystem.namespace("Bad Name") }
        expectErrno(ENOENT) { _ = try fixture.fileSystem.namespace("run:none").list("/") }
        expectErrno(EPERM) { try fixture.fileSystem.removeNamespace("workspace") }
        expectErrno(EEXIST) { try fixture.fileSystem.createNamespace("skills") }
        let error = expectErrno(ENOENT) { _ = try ws.readFile("/nope") }
        #expect(error?.description == "cat /nope: No such file or directory (ENOENT)")
        // Nothing above changed the tree.
        var paths: [String] = []
        try ws.walk { paths.append($0.path) }
        #expect(paths == ["/", "/dir", "/file", "/full", "/full/child"])
    }

    @Test func renameSemantics() throws {
        let ws = try Fixture().workspace
        try ws.writeFile("/a/one", contents: Data("1".utf8))
        try ws.writeFile("/a/sub/two", contents: Data("2".utf8))
        try ws.makeDirectory("/empty")
        try ws.move("/a", to: "/empty")  // onto an empty directory: replaces it
        #expect(try ws.readFile("/empty/sub/two") == Data("2".utf8))
        #expect(try !ws.exists("/a"))
        #expect(try ws.list("/empty/sub").map(\.path) == ["/empty/sub/two"])
        try ws.writeFile("/x", contents: Data("x".utf8))
        try ws.writeFile("/y", contents: Data("y".utf8))
        try ws.move("/x", to: "/y")  // a file replaces a file
        #expect(try ws.readFile("/y") == Data("x".utf8))
        try ws.move("/y", to: "/y")
        #expect(try ws.readFile("/y") == Data("x".utf8))
    }

    @Test func copySharesContent() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        try ws.writeFile("/src/big", contents: .pattern(300_000))
        try ws.writeFile("/src/small", contents: Data("s".utf8))
        let contents = try fixture.count("SELECT count(*) FROM vfs_contents")
        #expect(try fixture.fileSystem.copy("/src", from: "workspace", to: "/dst", in: "workspace", recursive: true) == 3)
        try fixture.fileSystem.copy("/src", from: "workspace", to: "/elsewhere", in: "run:7", recursive: true)
        #expect(try fixture.count("SELECT count(*) FROM vfs_contents") == contents)
        #expect(try ws.readFile("/dst/big") == .pattern(300_000))
        #expect(try fixture.fileSystem.namespace("run:7").readFile("/elsewhere/small") == Data("s".utf8))
        try ws.writeFile("/dst/big", contents: Data("changed".utf8))
        #expect(try ws.readFile("/src/big") == .pattern(300_000), "rewriting a copy leaves the original")
        try fixture.fileSystem.copy("/src/small", from: "workspace", to: "/copied", in: "workspace")
        #expect(try ws.readFile("/copied") == Data("s".utf8))
    }

    @Test func rejectsForeignDatabaseFiles() throws {
        // The VFS refuses paths a kernel would refuse, even through the String API.
        let ws = try Fixture().workspace
        expectErrno(EINVAL) { try ws.writeFile("/a\u{0}b", contents: Data()) }
        expectErrno(ENAMETOOLONG) { try ws.makeDirectory("/" + String(repeating: "n", count: 300)) }
    }
}

/// Callbacks may call back into the VFS: on the same connection and snapshot.
@Suite struct ReentrancyTests {
    @Test(arguments: [JournalPolicy.wal, .rollback])
    func callbacksMayUseTheFileSystem(journal: JournalPolicy) throws {
        let fixture = try Fixture(journal: journal)
        let ws = fixture.workspace
        for index in 0..<5 { try ws.writeFile("/d/f\(index)", contents: Data("\(index)".utf8)) }
        var contents: [String] = []
        try ws.walk("/d") { entry in
            if !entry.isDirectory { contents.append(String(decoding: try ws.readFile(entry.path), as: UTF8.self)) }
        }
        #expect(contents == ["0", "1", "2", "3", "4"])
        var sizeSeen: Int64 = -1
        try ws.streamFile("/d/f1") { _ throws in sizeSeen = try ws.stat("/d/f1").size }
        #expect(sizeSeen == 1)
        if journal == .wal {
            // A write from a read callback runs on the writer connection.
            try ws.walk("/d") { entry in if entry.path == "/d/f0" { try ws.writeFile("/copy", contents: Data("c".utf8)) } }
            #expect(try ws.readFile("/copy") == Data("c".utf8))
        } else {
            expectErrno(EDEADLK) { try ws.walk("/d") { _ in try ws.writeFile("/copy", contents: Data()) } }
        }
    }

    @Test func aSnapshotSeesOneState() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        try ws.writeFile("/a", contents: Data("1".utf8))
        let other = try VirtualFileSystem(database: StateDatabase(
            path: fixture.fileSystem.database.path, identity: DatabaseIdentity(role: "agent", agentID: "test"),
            components: [VirtualFileSystem.schema]))
        let (before, after) = try fixture.fileSystem.snapshot {
            let before = try ws.readFile("/a")
            try other.namespace("workspace").writeFile("/a", contents: Data("2".utf8))  // another connection commits
            return (before, try ws.readFile("/a"))
        }
        #expect(before == Data("1".utf8))
        #expect(after == Data("1".utf8), "the snapshot does not see the later commit")
        #expect(try ws.readFile("/a") == Data("2".utf8))
    }

    @Test func aFailedNestedWriteRollsBackOnlyItself() throws {
        let fixture = try Fixture()
        let ws = fixture.workspace
        let source = TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: source.path + "/file"))
        var nested: VFSError?
        try ws.importDirectory(source.path, to: "/imported") { _ in
            do { try ws.makeDirectory("/imported") } catch let error as VFSError { nested = error } catch {}
        }
        #expect(nested?.errno == EEXIST)
        #expect(try ws.readFile("/imported/file") == Data("x".utf8))
    }
}
