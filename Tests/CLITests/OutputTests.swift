import Foundation
import GRDB
import Testing
import VFS

/// What the CLI prints: names with terminal controls quoted on a terminal and on standard error,
/// raw in a pipe and in `--json`; exact 64-bit integers in `--json`; buffered and streamed
/// listings.
@Suite struct OutputTests {
    let directory = TemporaryDirectory()
    var state: String { directory.path + "/state" }
    var cli: CLIRunner { CLIRunner(state: state) }

    /// Names a terminal obeys: retitle the window and clear it; DEL; NEL and the 8-bit CSI (C1).
    static let hostile = "\u{1B}]0;PWNED\u{07}\u{1B}[2J"
    static let names = [hostile, "del\u{7F}x", "nel\u{85}x", "csi\u{9B}2J", "plain.txt"]
    /// The same names as `ls` quotes them on a terminal.
    static let quoted = [#"$'\e]0;PWNED\a\e[2J'"#, #"$'del\x7fx'"#, #"$'nel\xc2\x85x'"#, #"$'csi\xc2\x9b2J'"#, "plain.txt"]

    /// Files under /dir named `names`, as an older database may hold them (the path check
    /// refuses such names today): written under plain names, then renamed in SQL.
    func plant(_ names: [String], mtime: Int64? = nil) throws {
        for index in names.indices {
            #expect(try cli.run(["vfs", "write", "/dir/n\(index)"], stdin: Data("\(index)\n".utf8)).status == 0)
        }
        let database = try DatabaseQueue(path: state + "/agents/main/agent/openclaw-agent.sqlite")
        try database.write { db in
            for (index, name) in names.enumerated() {
                try db.execute(sql: "UPDATE vfs_entries SET path = ?, name = ?, mtime_ns = coalesce(?, mtime_ns) WHERE namespace = 'workspace' AND path = ?",
                               arguments: ["/dir/" + name, name, mtime, "/dir/n\(index)"])
            }
        }
    }

    /// `openclaw ARGUMENTS` with standard output on a pseudo-terminal (util-linux `script`);
    /// its output with the terminal's CRLF line ends made LF again.
    func onTerminal(_ arguments: [String]) throws -> String {
        let command = ([CLIRunner.executable] + arguments + ["--state", state]).map(Self.shellQuoted).joined(separator: " ")
        let result = try CLIRunner.run(executable: "/usr/bin/script", arguments: ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(arguments): \(result.stdout)")
        return result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }

    /// Whether `text` holds a C0 control other than newline, DEL or a C1 control.
    static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
    }

    // MARK: - Quoting

    @Test func listingsInAPipeShowNamesRaw() throws {
        try plant(Self.names)
        let sorted = Self.names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(try cli.run(["vfs", "ls", "/dir"]).stdout == sorted.map { $0 + "\n" }.joined())
        #expect(try cli.run(["vfs", "find", "/dir", "--type", "f"]).stdout == sorted.map { "/dir/" + $0 + "\n" }.joined())
        let long = try cli.run(["vfs", "ls", "-l", "/dir"]).stdout.split(separator: "\n").map { String($0) }
        #expect(long.count == sorted.count)
        for (line, name) in zip(long, sorted) { #expect(line.hasSuffix(" " + name)) }
        let tree = try cli.run(["vfs", "ls", "-R", "/dir"]).stdout
        for name in Self.names { #expect(tree.contains("── " + name + "\n")) }
        // --json is exact in a pipe and on a terminal alike.
        let json = try #require(try cli.run(["vfs", "ls", "/dir", "--json"]).json() as? [[String: Any]])
        #expect(json.compactMap { $0["name"] as? String } == sorted)
        let onTerminal = try JSONSerialization.jsonObject(with: Data(try onTerminal(["vfs", "find", "/dir", "--json"]).utf8)) as? [[String: Any]]
        #expect(onTerminal?.compactMap { $0["name"] as? String } == ["dir"] + sorted)
    }

    @Test func listingsOnATerminalQuoteNames() throws {
        try plant(Self.names)
        let short = try onTerminal(["vfs", "ls", "/dir"])
        let long = try onTerminal(["vfs", "ls", "-l", "/dir"])
        let tree = try onTerminal(["vfs", "ls", "-R", "/dir"])
        let found = try onTerminal(["vfs", "find", "/dir"])
        for output in [short, long, tree, found] { #expect(!Self.hasControls(output), "raw controls in \(output.debugDescription)") }
        for name in Self.quoted {
            #expect(short.contains(name + "\n"))
            #expect(long.contains(" " + name + "\n"))
            #expect(tree.contains("── " + name + "\n"))
        }
        #expect(found.contains("$'/dir/\\e]0;PWNED\\a\\e[2J'\n"))
        #expect(found.contains("$'/dir/del\\x7fx'\n"))
        // Such a name can no longer be given as a path (the path check refuses C1 controls), and
        // the refusal names it quoted.
        let stat = try cli.run(["vfs", "stat", "/dir/nel\u{85}x"])
        #expect(stat.status == 1)
        #expect(stat.stderr.contains("(EINVAL)"), "\(stat.stderr)")
        #expect(!Self.hasControls(stat.stderr), "\(stat.stderr.debugDescription)")
    }

    @Test func errorsAndWarningsQuoteAlways() throws {
        #expect(VFSError(ENOENT, "cat", "/a\u{1B}[2Jb").description == #"cat $'/a\e[2Jb': No such file or directory (ENOENT)"#)
        #expect(VFSError(EEXIST, "mkdir", "/plain").description == "mkdir /plain: File exists (EEXIST)")
        try plant(Self.names)
        // An error about a path under a hostile name, in a pipe.
        let failed = try cli.run(["vfs", "cat", "/dir/del\u{7F}x/inside"])
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("openclaw: cat "))
        #expect(!Self.hasControls(failed.stderr), "raw controls in \(failed.stderr.debugDescription)")
        // A host file whose name a terminal obeys: the import skips it with a warning.
        let source = TemporaryDirectory()
        try source.write("ok.txt", "fine\n")
        try source.write(Self.hostile, "evil\n")
        let imported = try cli.run(["vfs", "import", source.path, "/imported"])
        #expect(imported.status == 0)
        #expect(imported.stderr.contains("warning: skipped"))
        #expect(imported.stderr.contains(#"\e]0;PWNED\a\e[2J"#))
        #expect(!Self.hasControls(imported.stderr), "raw controls in \(imported.stderr.debugDescription)")
    }

    // MARK: - Exact integers

    @Test func jsonPrintsEvery64BitIntegerExactly() throws {
        let quota = try cli.run(["vfs", "quota", "--max-bytes", "9007199254740993", "--max-entries", "9223372036854775807", "--json"])
        #expect(quota.status == 0, "\(quota.stderr)")
        #expect(quota.stdout.contains(#""maxBytes" : 9007199254740993"#))
        #expect(quota.stdout.contains(#""maxEntries" : 9223372036854775807"#))

        let meta = #"{"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,"half":0.5}"#
        #expect(try cli.run(["vfs", "write", "/exact.txt", "--meta", meta], stdin: Data("x".utf8)).status == 0)
        try plant(["late"], mtime: 1_796_223_509_244_337_400)
        let stat = try cli.run(["vfs", "stat", "/dir/late", "--json"]).stdout
        #expect(stat.contains(#""mtimeNs" : 1796223509244337400"#))
        #expect(try cli.run(["vfs", "stat", "/dir/late"]).stdout.contains("Modify: 2026-12-02T14:58:29.244337400Z"))
        let exact = try cli.run(["vfs", "stat", "/exact.txt", "--json"]).stdout
        #expect(exact.contains(#""big" : 9007199254740993"#))
        #expect(exact.contains(#""max" : 9223372036854775807"#))
        #expect(exact.contains(#""min" : -9223372036854775808"#))
        #expect(exact.contains(#""half" : 0.5"#))
        #expect(!exact.contains("e+"))
        let listed = try cli.run(["vfs", "find", "/dir", "--json"]).stdout
        #expect(listed.contains(#""mtimeNs" : 1796223509244337400"#))
    }

    // MARK: - Buffered and streamed listings

    @Test func largeListingsAreCompleteAndJSONKeepsItsShape() throws {
        let source = TemporaryDirectory()
        let count = 3000
        for index in 0..<count { try source.write("tree/f\(String(format: "%05d", index))", "") }
        #expect(try cli.run(["vfs", "import", source.path + "/tree", "/big"]).status == 0)
        let names = (0..<count).map { "f" + String(format: "%05d", $0) }
        #expect(try cli.run(["vfs", "ls", "/big"]).stdout == names.map { $0 + "\n" }.joined())
        let long = try cli.run(["vfs", "ls", "-l", "/big"]).stdout
        #expect(long.split(separator: "\n").count == count)
        let json = try cli.run(["vfs", "ls", "/big", "--json"])
        #expect((try json.json() as? [[String: Any]])?.compactMap { $0["name"] as? String } == names)
        #expect(json.stdout.hasPrefix("[\n  {\n    \"ctimeNs\" : "))
        #expect(json.stdout.hasSuffix("\n  }\n]\n"))
        #expect(json.stdout.contains("\n  },\n  {\n    \"ctimeNs\" : "))
        let found = try #require(try cli.run(["vfs", "find", "/big", "--json"]).json() as? [[String: Any]])
        #expect(found.count == count + 1)
        let tree = try #require(try cli.run(["vfs", "ls", "-R", "/big", "--json"]).json() as? [[String: Any]])
        #expect(tree.count == count + 1)
        // Empty results keep their old shape.
        #expect(try cli.run(["vfs", "mkdir", "/empty"]).status == 0)
        #expect(try cli.run(["vfs", "ls", "/empty", "--json"]).stdout == "[]\n")
        #expect(try cli.run(["vfs", "find", "/empty", "--type", "f", "--json"]).stdout == "[]\n")
    }

    @Test func aClosedPipeEndsTheListingCleanly() throws {
        let source = TemporaryDirectory()
        for index in 0..<3000 { try source.write("tree/a-rather-long-file-name-to-fill-the-pipe-\(index)", "") }
        #expect(try cli.run(["vfs", "import", source.path + "/tree", "/big"]).status == 0)
        // SIGPIPE ignored, as some parents leave it: the write fails with EPIPE instead.
        let command = "trap '' PIPE; { '\(CLIRunner.executable)' vfs ls -l /big --state '\(state)'; echo \"status $?\" >&2; } | head -n 1"
        let result = try CLIRunner.shell(command)
        #expect(result.stdout.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("openclaw: standard output: Broken pipe (EPIPE)"))
        #expect(result.stderr.contains("status 1"))
    }
}
