import Foundation
import GRDB
import Testing
@testable import VFS

/// Names are bytes through the whole VFS: canonically equivalent spellings (NFC `caf\u{E9}`
/// and NFD `cafe\u{301}`; the Angstrom sign, A-ring and A + ring) are different entries with
/// their own contents, in listings, moves, copies, diffs and exports. And rows edited by hand
/// never lead an export out of its target.
@Suite struct ExactNamesTests {
    /// The five names and the content each file gets.
    static let names: [(name: String, content: String)] = [
        ("caf\u{E9}", "nfc"), ("cafe\u{301}", "nfd!"),
        ("\u{212B}", "angstrom sign"), ("\u{C5}", "a ring"), ("A\u{30A}", "a + ring above"),
    ]

    static func bytes(_ text: some StringProtocol) -> [UInt8] { Array(text.utf8) }

    func populate(_ namespace: VFSNamespace, under directory: String = "") throws {
        for (name, content) in Self.names {
            try namespace.writeFile(directory + "/" + name, contents: Data(content.utf8), options: WriteOptions(createParents: true))
        }
    }

    @Test func equivalentNamesAreDistinctEntries() throws {
        let fixture = try Fixture()
        let workspace = fixture.workspace
        try populate(workspace)
        let listed = try workspace.list("/")
        #expect(listed.map { Self.bytes($0.name) } == Self.names.map { Self.bytes($0.name) }.sorted { $0.lexicographicallyPrecedes($1) })
        for (name, content) in Self.names {
            #expect(try workspace.readFile("/" + name) == Data(content.utf8), "\(Self.bytes(name))")
            let entry = try workspace.stat("/" + name)
            #expect(entry.size == Int64(content.utf8.count))
            #expect(Self.bytes(entry.name) == Self.bytes(name))
        }
        var walked: [[UInt8]] = []
        try workspace.walk("/") { walked.append(Self.bytes($0.path)) }
        #expect(walked.count == 6)  // the root and five files
    }

    @Test func moveCopyAndDiffKeepThemApart() throws {
        let fixture = try Fixture()
        let workspace = fixture.workspace
        try populate(workspace)
        // Moving one onto the other's spelling is a real rename over a different file.
        try workspace.move("/caf\u{E9}", to: "/cafe\u{301}")
        #expect(try !workspace.exists("/caf\u{E9}"))
        #expect(try workspace.readFile("/cafe\u{301}") == Data("nfc".utf8))
        try workspace.move("/cafe\u{301}", to: "/caf\u{E9}")
        try populate(workspace)
        // A copy to an equivalent spelling is not "the same file" (EINVAL): it replaces the other.
        try fixture.fileSystem.copy("/\u{C5}", from: "workspace", to: "/\u{212B}", in: "workspace")
        #expect(try workspace.readFile("/\u{212B}") == Data("a ring".utf8))
        #expect(try workspace.readFile("/A\u{30A}") == Data("a + ring above".utf8))
        try populate(workspace)
        // A directory is not inside its equivalent spelling.
        try populate(workspace, under: "/dir\u{E9}")
        try workspace.makeDirectory("/dire\u{301}")
        try workspace.move("/dir\u{E9}", to: "/dire\u{301}/inner")
        #expect(try workspace.list("/dire\u{301}/inner").count == 5)

        try fixture.fileSystem.fork("workspace", to: "snapshot:before")
        try workspace.writeFile("/cafe\u{301}", contents: Data("changed".utf8))
        let diff = try fixture.fileSystem.diff("snapshot:before", "workspace")
        #expect(diff.changed.map(Self.bytes) == [Self.bytes("/cafe\u{301}")])
        #expect(diff.added.isEmpty && diff.removed.isEmpty)
        #expect(try workspace.readFile("/caf\u{E9}") == Data("nfc".utf8))
    }

    @Test func exportWritesEachNameAsItsBytes() throws {
        let fixture = try Fixture()
        try populate(fixture.workspace, under: "/d")
        let target = fixture.directory.path + "/out"
        let report = try fixture.workspace.exportDirectory("/", to: target)
        #expect(report.files == 5 && report.skipped.isEmpty)
        let hostNames = try HostFile.names(in: target + "/d", "test")
        #expect(hostNames == Self.names.map { Self.bytes($0.name) }.sorted { $0.lexicographicallyPrecedes($1) })
        for (name, content) in Self.names {
            #expect(try Self.hostContents(target + "/d/" + name) == Self.bytes(content))
        }
        // And back in: an import of the export is the same five files.
        try fixture.fileSystem.createNamespace("run:reimport")
        let reimported = try fixture.fileSystem.namespace("run:reimport")
        #expect(try reimported.importDirectory(target).files == 5)
        #expect(try fixture.fileSystem.diff("workspace", "run:reimport").isEmpty)
    }

    /// Host names with DEL or a C1 control are refused like the C0 ones: skipped, with EINVAL.
    @Test func importSkipsNamesWithDELOrC1Controls() throws {
        let fixture = try Fixture()
        let source = fixture.directory.path + "/source"
        #expect(mkdir(source, 0o755) == 0)
        for name in ["del\u{7F}", "nel\u{85}", "csi\u{9B}2J", "fine\u{A0}"] {
            let fd = open(source + "/" + name, O_WRONLY | O_CREAT, 0o644)
            #expect(fd >= 0)
            close(fd)
        }
        let report = try fixture.workspace.importDirectory(source)
        #expect(report.files == 1)
        #expect(report.skipped.count == 3)
        #expect(report.skipped.allSatisfy { $0.reason.contains("EINVAL") }, "\(report.skipped)")
        #expect(try fixture.workspace.list("/").map { Self.bytes($0.name) } == [Self.bytes("fine\u{A0}")])
    }

    /// Reads a host file with `open(2)`, whose path bytes no layer normalizes.
    static func hostContents(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw VFSError(errno, "test", path) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        return Array(buffer.prefix(max(count, 0)))
    }

    /// A deep tree whose host paths would pass PATH_MAX: nothing is written at all.
    @Test func exportChecksHostPathLengthsBeforeWriting() throws {
        let fixture = try Fixture()
        let deep = String(repeating: "/abcdefghi", count: 400)  // 4000 bytes
        try fixture.workspace.writeFile(deep + "/f", contents: Data("x".utf8), options: WriteOptions(createParents: true))
        try fixture.workspace.writeFile("/short", contents: Data("y".utf8))
        let target = fixture.directory.path + "/" + String(repeating: "t", count: 120)
        let error = expectErrno(ENAMETOOLONG) { try fixture.workspace.exportDirectory("/", to: target) }
        #expect(error?.detail?.contains("nothing was written") == true)
        #expect(!FileManager.default.fileExists(atPath: target))
        // A single file whose host path is too long fails the same way.
        expectErrno(ENAMETOOLONG) { try fixture.workspace.exportDirectory("/short", to: target + "/" + String(repeating: "u/", count: 2000)) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Rows edited in the SQLite file: a `..` path that would climb out of the target, a name
    /// with a `/`, a name that is not the path's last component. Each is skipped, with what is
    /// inside it, and reported; nothing is written outside the target.
    @Test func exportSkipsTamperedRows() throws {
        let fixture = try Fixture()
        try fixture.workspace.writeFile("/a/ok", contents: Data("ok".utf8), options: WriteOptions(createParents: true))
        try fixture.workspace.writeFile("/b/inside", contents: Data("in".utf8), options: WriteOptions(createParents: true))
        try fixture.workspace.writeFile("/c", contents: Data("c".utf8))
        try fixture.workspace.writeFile("/escape", contents: Data("escaped".utf8))
        try Self.tamper(fixture.fileSystem)
        let target = fixture.directory.path + "/deep/out"
        let report = try fixture.workspace.exportDirectory("/", to: target)
        let skipped = report.skipped.map(\.path)
        #expect(skipped.contains("/a/../../escape"))
        #expect(skipped.contains("/b") && skipped.contains("/b/inside"))
        #expect(skipped.contains("/c"))
        #expect(report.skipped.allSatisfy { !$0.reason.isEmpty })
        #expect(report.files == 1 && report.directories == 1)
        #expect(try Self.hostContents(target + "/a/ok") == Self.bytes("ok"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path + "/escape"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path + "/deep/escape"))
        #expect(try HostFile.names(in: target, "test") == [Self.bytes("a")])
    }

    /// Edits `vfs_entries` as someone with the SQLite file could: `/escape` becomes
    /// `/a/../../escape`; `/b` gets the name `x/y`; `/c` gets the name `..`.
    static func tamper(_ fileSystem: VirtualFileSystem) throws {
        try fileSystem.database.write { db in
            try db.execute(sql: "UPDATE vfs_entries SET path = '/a/../../escape', parent = '/a' WHERE namespace = 'workspace' AND path = '/escape'")
            try db.execute(sql: "UPDATE vfs_entries SET name = 'x/y' WHERE namespace = 'workspace' AND path = '/b'")
            try db.execute(sql: "UPDATE vfs_entries SET name = '..' WHERE namespace = 'workspace' AND path = '/c'")
        }
    }
}
