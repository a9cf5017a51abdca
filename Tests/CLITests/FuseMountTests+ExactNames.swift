import Foundation
import Testing

/// Names are bytes through the real binary and a real mount: NFC `caf\u{E9}` and NFD
/// `cafe\u{301}`, and the Angstrom sign, A-ring and A + ring, are five files with five inodes,
/// five contents and five sizes, in every command. Outputs are compared as bytes (`String`'s
/// `==` would call the spellings equal).
extension FuseMountTests {
    static let exactNames: [(name: String, content: String)] = [
        ("caf\u{E9}", "nfc"), ("cafe\u{301}", "nfd!"),
        ("\u{212B}", "angstrom sign"), ("\u{C5}", "a ring"), ("A\u{30A}", "a + ring above"),
    ]

    static func hex(_ text: some StringProtocol) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }

    /// The names sorted by their bytes.
    static var sortedExactNames: [(name: String, content: String)] {
        exactNames.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// `[name hex, inode, size, content hex]` of every entry of a host directory, read by
    /// Python's byte-string `os` calls, which never normalize.
    func hostListing(_ directory: String) throws -> [[String]] {
        let script = """
            import json, os, sys
            root = os.fsencode(sys.argv[1])
            out = []
            for name in sorted(os.listdir(root)):
                path = root + b'/' + name
                info = os.stat(path)
                data = b'' if os.path.isdir(path) else open(path, 'rb').read()
                out.append([name.hex(), str(info.st_ino), str(info.st_size), data.hex()])
            print(json.dumps(out))
            """
        try script.write(toFile: self.directory.path + "/listing.py", atomically: true, encoding: .utf8)
        let result = try CLIRunner.shell("python3 '\(self.directory.path)/listing.py' '\(directory)'")
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String]])
    }

    func writeExactNames(under directory: String = "") throws {
        for (name, content) in Self.exactNames {
            let result = try cli.run(["vfs", "write", directory + "/" + name], stdin: Data(content.utf8))
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    @Test func equivalentNamesStayApartOnTheMount() throws {
        try writeExactNames()
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }
        let listing = try hostListing(mountPoint)
        #expect(listing.map { $0[0] } == Self.sortedExactNames.map { Self.hex($0.name) })
        #expect(listing.map { $0[2] } == Self.sortedExactNames.map { String($0.content.utf8.count) })
        #expect(listing.map { $0[3] } == Self.sortedExactNames.map { Self.hex($0.content) })
        let inodes = Set(listing.map { $0[1] })
        #expect(inodes.count == 5 && !inodes.contains("1"))
        // The same through the shell's own tools, and on the all-namespaces view.
        let cat = try CLIRunner.shell("cd '\(mountPoint)' && cat \"$(printf 'cafe\\314\\201')\"")
        #expect(Array(cat.stdoutData) == Array("nfd!".utf8), "\(cat.stderr)")
        let all = directory.path + "/all"
        try mount(all)
        defer { unmount(all) }
        #expect(try hostListing(all + "/workspace").map { $0[3] } == Self.sortedExactNames.map { Self.hex($0.content) })
    }

    @Test func equivalentNamesStayApartInEveryCommand() throws {
        try writeExactNames(under: "/d")
        let ls = try cli.run(["vfs", "ls", "/d"])
        #expect(Array(ls.stdoutData) == Array(Self.sortedExactNames.map { $0.name + "\n" }.joined().utf8), "\(ls.stderr)")
        for (name, content) in Self.exactNames {
            #expect(Array(try cli.run(["vfs", "cat", "/d/" + name]).stdoutData) == Array(content.utf8), "\(Self.hex(name))")
            let stat = try #require(try cli.run(["vfs", "stat", "/d/" + name, "--json"]).json() as? [String: Any])
            #expect(stat["size"] as? Int == content.utf8.count)
            #expect((stat["path"] as? String).map(Self.hex) == Self.hex("/d/" + name))
        }
        let find = try cli.run(["vfs", "find", "/d", "--name", "caf\u{E9}"])
        #expect(Array(find.stdoutData) == Array("/d/caf\u{E9}\n".utf8), "\(find.stdout)\(find.stderr)")

        let exported = directory.path + "/export"
        let export = try cli.run(["vfs", "export", "/d", exported])
        #expect(export.status == 0, "\(export.stderr)")
        let host = try hostListing(exported)
        #expect(host.map { $0[0] } == Self.sortedExactNames.map { Self.hex($0.name) })
        #expect(host.map { $0[3] } == Self.sortedExactNames.map { Self.hex($0.content) })

        #expect(try cli.run(["vfs", "fork", "workspace", "snapshot:before"]).status == 0)
        #expect(try cli.run(["vfs", "write", "/d/cafe\u{301}"], stdin: Data("changed".utf8)).status == 0)
        let diff = try cli.run(["vfs", "diff", "snapshot:before", "workspace"])
        #expect(Array(diff.stdoutData) == Array("M /d/cafe\u{301}\n".utf8), "\(diff.stdout)\(diff.stderr)")

        // cp and mv onto an equivalent spelling replace that other file, never "the same file".
        let copy = try cli.run(["vfs", "cp", "/d/\u{C5}", "/d/\u{212B}"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(Array(try cli.run(["vfs", "cat", "/d/\u{212B}"]).stdoutData) == Array("a ring".utf8))
        let move = try cli.run(["vfs", "mv", "/d/A\u{30A}", "/d/\u{C5}"])
        #expect(move.status == 0, "\(move.stderr)")
        #expect(Array(try cli.run(["vfs", "cat", "/d/\u{C5}"]).stdoutData) == Array("a + ring above".utf8))
        let after = try cli.run(["vfs", "ls", "/d"])
        let expected = ["caf\u{E9}", "cafe\u{301}", "\u{212B}", "\u{C5}"].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(Array(after.stdoutData) == Array(expected.map { $0 + "\n" }.joined().utf8))
    }

    /// Rows of `vfs_entries` edited in the SQLite file: each name is listed once, and rows whose
    /// path is not a canonical child of the directory listed are not listed at all.
    @Test func theMountListsTamperedRowsOnceOrNotAtAll() throws {
        for path in ["/x/keep", "/w", "/y/z/inner"] {
            #expect(try cli.run(["vfs", "write", path], stdin: Data("v".utf8)).status == 0)
        }
        let database = state + "/agents/main/agent/openclaw-agent.sqlite"
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            rows = [('/x/x', '/', 'x'), ('/..', '/', '..'), ('/q/', '/', 'q')]
            for path, parent, name in rows:
                db.execute("INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json) "
                           "VALUES ('workspace', ?, ?, ?, 'directory', 493, 0, 0, 0, NULL, '{}')", (path, parent, name))
            db.execute("UPDATE vfs_entries SET parent = '/' WHERE namespace = 'workspace' AND path = '/y/z'")
            db.execute("UPDATE vfs_entries SET name = 'other' WHERE namespace = 'workspace' AND path = '/w'")
            db.commit()
            print('ok')
            """
        try script.write(toFile: directory.path + "/tamper.py", atomically: true, encoding: .utf8)
        let tampered = try CLIRunner.shell("python3 '\(directory.path)/tamper.py' '\(database)'")
        #expect(tampered.stdout == "ok\n", "\(tampered.stderr)")
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }
        let listing = try CLIRunner.shell("ls -a '\(mountPoint)'")
        #expect(listing.stdout == ".\n..\nw\nx\ny\n", "\(listing.stdout)\(listing.stderr)")
        #expect(try CLIRunner.shell("ls '\(mountPoint)/x'").stdout == "keep\n")
        #expect(try CLIRunner.shell("cat '\(mountPoint)/w'").stdout == "v")

        // The export skips them with a warning and says so in its exit status.
        let exported = directory.path + "/export"
        let export = try cli.run(["vfs", "export", "/", exported])
        #expect(export.status == 1, "\(export.stdout)\(export.stderr)")
        #expect(export.stderr.contains("warning: skipped /.."), "\(export.stderr)")
        #expect(export.stderr.contains("warning: skipped /w"), "\(export.stderr)")
        #expect(try CLIRunner.shell("cd '\(exported)' && find . | LC_ALL=C sort").stdout == ".\n./x\n./x/keep\n./y\n", "listing")
    }
}
