import Foundation
import Testing

@Suite(.serialized) struct VFSCommandTests {
    let directory = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(state: directory.path + "/state") }

    @Test func writeFromStdinThenCatStatAndList() throws {
        let write = try cli.run(["vfs", "write", "/notes/a b.txt", "--mode", "600", "--meta", #"{"k":"v"}"#], stdin: Data("hello\n".utf8))
        #expect(write.status == 0, "\(write.stderr)")
        let cat = try cli.run(["vfs", "cat", "notes/a b.txt"])
        #expect(cat.stdout == "hello\n")
        let stat = try cli.run(["vfs", "stat", "/notes/a b.txt", "--json"])
        let object = try #require(try stat.json() as? [String: Any])
        #expect(object["size"] as? Int == 6)
        #expect(object["mode"] as? String == "0600")
        #expect(object["kind"] as? String == "file")
        #expect(object["sha256"] as? String == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect((object["metadata"] as? [String: Any])?["k"] as? String == "v")
        let ls = try cli.run(["vfs", "ls", "-l", "/notes"])
        #expect(ls.stdout.hasPrefix("-rw-------"))
        #expect(ls.stdout.contains(" 6 "))
        #expect(ls.stdout.hasSuffix("a b.txt\n"))
        let json = try cli.run(["vfs", "ls", "--json"])
        let entries = try #require(try json.json() as? [[String: Any]])
        #expect(entries.map { $0["path"] as? String } == ["/notes"])
        #expect(entries.first?["kind"] as? String == "directory")
    }

    @Test func errorsNameTheOperationPathAndErrno() throws {
        let missing = try cli.run(["vfs", "cat", "/nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "openclaw: cat /nope: No such file or directory (ENOENT)\n")
        #expect(missing.stdout.isEmpty)
        try cli.run(["vfs", "mkdir", "-p", "/d/e"])
        let notEmpty = try cli.run(["vfs", "rm", "/d"])
        #expect(notEmpty.status == 1)
        #expect(notEmpty.stderr.contains("rm /d: Is a directory (EISDIR)"))
        let exists = try cli.run(["vfs", "mkdir", "/d"])
        #expect(exists.stderr == "openclaw: mkdir /d: File exists (EEXIST)\n")
        let crossDevice = try cli.run(["vfs", "mv", "/d", "/x", "--to-ns", "run:1"])
        #expect(crossDevice.stderr.contains("(EXDEV)"))
        let nameTooLong = try cli.run(["vfs", "write", "/" + String(repeating: "n", count: 300)], stdin: Data())
        #expect(nameTooLong.status == 1)
        #expect(nameTooLong.stderr.contains("(ENAMETOOLONG)"))
        let control = try cli.run(["vfs", "write", "/a\u{1}b"], stdin: Data())
        #expect(control.stderr.contains("(EINVAL)"))
        let invalidUTF8 = try CLIRunner.shell("'\(CLIRunner.executable)' vfs cat \"$(printf '/\\377')\" --state '\(directory.path)/state'")
        #expect(invalidUTF8.status == 1)
        #expect(invalidUTF8.stderr.contains("(EILSEQ)"))
        // Force and recursion.
        #expect(try cli.run(["vfs", "rm", "-f", "/nope"]).status == 0)
        #expect(try cli.run(["vfs", "rm", "-r", "/d"]).status == 0)
        #expect(try cli.run(["vfs", "ls", "/d"]).status == 1)
    }

    @Test func usageErrorsExit64() throws {
        for arguments in [["vfs", "ls", "--bogus"], ["vfs", "ls", "--agent", "Not Valid!"], ["vfs", "ls", "--ns", "BAD"],
                          ["vfs", "write"], ["vfs", "export", "a", "b", "c"], ["vfs", "write", "/x", "--mode", "999"], ["nothing"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(try cli.run(["vfs", "--help"]).status == 0)
    }

    @Test func anIndexThatIsNotGitsIsImportedAsItIsAndSaidSo() throws {
        let source = TemporaryDirectory()
        try source.write("README.md", "# sample\n")
        try source.write(".git/index", "not an index")
        let imported = try cli.run(["vfs", "import", source.path, "/"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("git index /.git/index: left as it is: not a git index this build can read: no DIRC header"), "\(imported.stdout)")
        #expect(try cli.run(["vfs", "cat", "/.git/index"]).stdout == "not an index", "imported byte for byte")
    }

    @Test func importExportRoundTripSkipsSymlinks() throws {
        let source = TemporaryDirectory()
        try source.write("README.md", "# sample\n")
        try source.write("src/main.swift", "print(1)\n")
        try source.write("src/deep/er/file.txt", String(repeating: "x", count: 200_000))
        try source.write("empty.txt", "")
        try FileManager.default.createDirectory(atPath: source.path + "/emptydir", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: source.path + "/link", withDestinationPath: "README.md")
        chmod(source.path + "/src/main.swift", 0o750)
        let imported = try cli.run(["vfs", "import", source.path, "/project", "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("warning: skipped \(source.path)/link: symbolic link"))
        let report = try #require(try imported.json() as? [String: Any])
        #expect(report["files"] as? Int == 4)
        #expect(report["directories"] as? Int == 4)
        #expect(report["bytes"] as? Int == 200_018)

        let find = try cli.run(["vfs", "find", "/project", "--name", "*.swift", "--type", "f"])
        #expect(find.stdout == "/project/src/main.swift\n")
        let dirs = try cli.run(["vfs", "find", "/project", "--type", "d", "--json"])
        #expect((try dirs.json() as? [Any])?.count == 5)
        let du = try cli.run(["vfs", "du", "/project", "--json"])
        let usage = try #require(try du.json() as? [String: Any])
        #expect(usage["bytes"] as? Int == 200_018)
        #expect(usage["files"] as? Int == 4)

        let tree = try cli.run(["vfs", "ls", "-R", "/project"])
        #expect(tree.stdout.contains("└── src/"))
        #expect(tree.stdout.contains("4 directories, 4 files"))

        let target = TemporaryDirectory()
        let exported = try cli.run(["vfs", "export", "/project", target.path + "/out"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let diff = try CLIRunner.shell("diff -r --no-dereference '\(source.path)' '\(target.path)/out'")
        #expect(diff.stdout == "Only in \(source.path): link\n", "\(diff.stdout)")
        let modes = try CLIRunner.shell("stat -c '%a %Y' '\(source.path)/src/main.swift' '\(target.path)/out/src/main.swift'")
        let lines = modes.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == lines[1], "\(modes.stdout)")
    }

    @Test func timesBefore1970SurviveImportStatAndExport() throws {
        let source = TemporaryDirectory()
        try source.write("old.txt", "from the sixties\n")
        #expect(try CLIRunner.shell("touch -d '1960-05-01 12:00:00.25 UTC' '\(source.path)/old.txt'").status == 0)
        #expect(try cli.run(["vfs", "import", source.path]).status == 0)
        let stat = try cli.run(["vfs", "stat", "/old.txt", "--json"])
        #expect(stat.status == 0, "\(stat.stderr)")
        let object = try #require(try stat.json() as? [String: Any])
        #expect(object["mtime"] as? String == "1960-05-01T12:00:00.250000000Z")
        let target = TemporaryDirectory()
        #expect(try cli.run(["vfs", "export", "/", target.path]).status == 0)
        let times = try CLIRunner.shell("stat -c %.9Y '\(source.path)/old.txt' '\(target.path)/old.txt'")
        let lines = times.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == lines[1], "\(times.stdout)")
    }

    @Test func exportRefusesToFollowSymlinksInTheTarget() throws {
        try cli.run(["vfs", "write", "/victim"], stdin: Data("vfs".utf8))
        try cli.run(["vfs", "write", "/dir/inner"], stdin: Data("vfs".utf8))
        let target = TemporaryDirectory()
        let outside = TemporaryDirectory()
        try outside.write("precious", "keep me")
        try FileManager.default.createSymbolicLink(atPath: target.path + "/victim", withDestinationPath: outside.path + "/precious")
        let file = try cli.run(["vfs", "export", "/", target.path])
        #expect(file.status == 1)
        #expect(file.stderr.contains("(ELOOP)"))
        #expect(try String(contentsOfFile: outside.path + "/precious", encoding: .utf8) == "keep me")
        let second = TemporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: second.path + "/dir", withDestinationPath: outside.path)
        let directory = try cli.run(["vfs", "export", "/", second.path])
        #expect(directory.stderr.contains("(ELOOP)"))
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/inner"))
    }

    @Test func importOfAMissingDirectoryFails() throws {
        let result = try cli.run(["vfs", "import", directory.path + "/missing"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("import \(directory.path)/missing: No such file or directory (ENOENT)"))
    }

    @Test func moveAndCopyIntoDirectories() throws {
        try cli.run(["vfs", "write", "/a.txt"], stdin: Data("A".utf8))
        try cli.run(["vfs", "mkdir", "/dir"])
        #expect(try cli.run(["vfs", "mv", "/a.txt", "/dir"]).status == 0)
        #expect(try cli.run(["vfs", "cat", "/dir/a.txt"]).stdout == "A")
        #expect(try cli.run(["vfs", "cp", "/dir", "/copy"]).status == 1)
        #expect(try cli.run(["vfs", "cp", "-r", "/dir", "/copy"]).status == 0)
        #expect(try cli.run(["vfs", "cp", "/dir/a.txt", "/elsewhere.txt", "--to-ns", "run:9"]).status == 0)
        #expect(try cli.run(["vfs", "cat", "/copy/a.txt"]).stdout == "A")
        #expect(try cli.run(["vfs", "cat", "/elsewhere.txt", "--ns", "run:9"]).stdout == "A")
    }

    @Test func namespacesForkDiffAndQuota() throws {
        try cli.run(["vfs", "write", "/keep"], stdin: Data("1".utf8))
        try cli.run(["vfs", "write", "/change"], stdin: Data("1".utf8))
        let fork = try cli.run(["vfs", "fork", "workspace", "snapshot:before", "--json"])
        #expect((try fork.json() as? [String: Any])?["entries"] as? Int == 2)
        try cli.run(["vfs", "write", "/change"], stdin: Data("2".utf8))
        try cli.run(["vfs", "write", "/new"], stdin: Data("3".utf8))
        let diff = try cli.run(["vfs", "diff", "snapshot:before", "workspace"])
        #expect(diff.stdout == "M /change\nA /new\n")
        let diffJSON = try #require(try cli.run(["vfs", "diff", "snapshot:before", "workspace", "--json"]).json() as? [String: [String]])
        #expect(diffJSON["added"] == ["/new"])
        let namespaces = try #require(try cli.run(["vfs", "namespaces", "--json"]).json() as? [[String: Any]])
        #expect(namespaces.map { $0["name"] as? String } == ["skills", "snapshot:before", "workspace"])
        #expect(try cli.run(["vfs", "namespaces", "rm", "snapshot:before"]).status == 0)
        #expect(try cli.run(["vfs", "namespaces", "rm", "workspace"]).status == 1)

        #expect(try cli.run(["vfs", "quota", "--max-bytes", "10"]).status == 0)
        let over = try cli.run(["vfs", "write", "/big"], stdin: Data(count: 20))
        #expect(over.status == 1)
        #expect(over.stderr.contains("(EDQUOT)"))
        #expect(try cli.run(["vfs", "ls", "/big"]).status == 1)
        let quota = try #require(try cli.run(["vfs", "quota", "--json"]).json() as? [String: Any])
        #expect((quota["quota"] as? [String: Any])?["maxBytes"] as? Int == 10)
    }

    @Test func agentsAreIsolated() throws {
        try cli.run(["vfs", "write", "/secret", "--agent", "alpha"], stdin: Data("a".utf8))
        #expect(try cli.run(["vfs", "cat", "/secret", "--agent", "beta"]).status == 1)
        #expect(try cli.run(["vfs", "cat", "/secret", "--agent", "ALPHA"]).stdout == "a")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/state/agents/alpha/agent/openclaw-agent.sqlite"))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/state/state/openclaw.sqlite"))
    }

    @Test func backupCreate() throws {
        try cli.run(["vfs", "write", "/f"], stdin: Data("x".utf8))
        let output = directory.path + "/backup.tar"
        let result = try cli.run(["backup", "create", "--output", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try result.json() as? [String: Any])
        #expect((report["databases"] as? [[String: Any]])?.count == 2)
        let list = try CLIRunner.shell("tar -tf '\(output)'")
        #expect(list.stdout == "state/\nstate/openclaw.sqlite\nagents/\nagents/main/\nagents/main/agent/\nagents/main/agent/openclaw-agent.sqlite\nopenclaw-backup.json\n")
        #expect(try cli.run(["backup", "create", "--output", output]).status == 1)
    }

    @Test func newerSchemaExits65WithAdvice() throws {
        try cli.run(["vfs", "write", "/f"], stdin: Data("x".utf8))
        let database = directory.path + "/state/agents/main/agent/openclaw-agent.sqlite"
        let bump = try CLIRunner.shell("printf 'PRAGMA user_version = 7;' | python3 -c \"import sqlite3,sys; c=sqlite3.connect('\(database)'); c.execute('PRAGMA user_version = 7'); c.commit()\"")
        #expect(bump.status == 0, "\(bump.stderr)")
        let result = try cli.run(["vfs", "ls"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("upgrade openclaw"))
    }
}
