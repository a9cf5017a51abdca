import FakeProvider
import Foundation
import Testing

/// A state directory on read-only media: a read-only bind mount (as a container gets it) of a
/// state written by real runs, read by every read command and refused by every write. These
/// need root to mount (CI runs as root); without it they fail, loudly.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ReadOnlyStateTests {
    /// The read commands compared between the writable state and its read-only mount.
    static let readCommands: [[String]] = [
        ["vfs", "ls", "/"], ["vfs", "ls", "-l", "/notes"], ["vfs", "cat", "/notes/a.md"], ["vfs", "stat", "/notes/a.md", "--json"],
        ["vfs", "find", "/"], ["vfs", "du", "/"], ["vfs", "namespaces", "list"],
        ["sessions", "list", "--json"], ["sessions", "show", "main", "--json"], ["sessions", "export", "main", "--format", "jsonl"], ["sessions", "export", "main", "--format", "md"],
        ["models", "list"], ["skills", "list"],
    ]

    /// Writes a state with a session, files and a model, then runs `body` with it.
    func withWrittenState(_ body: (RuntimeFixture) async throws -> Void) async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.text("Hello from the fake"))
            let run = try await fixture.run(["agent", "-m", "Say hello"], environment: RuntimeFixture.keyEnvironment)
            try #require(run.status == 0, "\(run.stderr)")
            try #require(try await fixture.run(["vfs", "write", "/notes/a.md"], stdin: Data("alpha\nbeta\n".utf8)).status == 0)
            try #require(try await fixture.run(["vfs", "mkdir", "-p", "/empty/dir"]).status == 0)
            try await body(fixture)
        }
    }

    /// Bind-mounts `source` read-only at a new directory and runs `body` with its path.
    func withReadOnlyMount(of source: String, in fixture: RuntimeFixture, _ body: (String) async throws -> Void) async throws {
        let mountPoint = fixture.directory.path + "/ro-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try await CLIRunner.shellOff("mount --bind '\(source)' '\(mountPoint)' && mount -o remount,bind,ro '\(mountPoint)'")
        try #require(mount.status == 0, "a read-only bind mount needs root: \(mount.stderr)")
        do {
            try await body(mountPoint)
        } catch {
            _ = try? await CLIRunner.shellOff("umount '\(mountPoint)' || umount -l '\(mountPoint)'")
            throw error
        }
        let unmount = try await CLIRunner.shellOff("umount '\(mountPoint)' || umount -l '\(mountPoint)'")
        #expect(unmount.status == 0, "\(unmount.stderr)")
    }

    /// Runs `openclaw ARGS --state STATE`.
    func run(_ state: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try await RuntimeFixture.run(CLIRunner(state: state), arguments, stdin: stdin, environment: environment)
    }

    @Test func everyReadCommandWorksOnAReadOnlyMountAndEveryWriteSaysEROFS() async throws {
        try await withWrittenState { fixture in
            var expected: [String] = []
            for command in Self.readCommands {
                let result = try await fixture.run(command)
                try #require(result.status == 0, "\(command): \(result.stderr)")
                expected.append(result.stdout)
            }
            let before = try await CLIRunner.shellOff("cd '\(fixture.state)' && find . -type f -exec sha256sum {} + | LC_ALL=C sort")
            try await withReadOnlyMount(of: fixture.state, in: fixture) { readOnly in
                for (command, output) in zip(Self.readCommands, expected) {
                    let result = try await run(readOnly, command)
                    #expect(result.status == 0, "\(command) on the read-only state: \(result.stderr)")
                    #expect(result.stdout.replacingOccurrences(of: readOnly, with: fixture.state) == output, "\(command) on the read-only state")
                }
                let export = try await run(readOnly, ["vfs", "export", "/", fixture.directory.path + "/exported"])
                #expect(export.status == 0, "\(export.stderr)")
                #expect(try String(contentsOfFile: fixture.directory.path + "/exported/notes/a.md", encoding: .utf8) == "alpha\nbeta\n")
                let backup = try await run(readOnly, ["backup", "create", "--output", fixture.directory.path + "/backup.tar"])
                #expect(backup.status == 0, "a read-only state can be backed up: \(backup.stderr)")
                #expect(FileManager.default.fileExists(atPath: fixture.directory.path + "/backup.tar"))
                let doctor = try await run(readOnly, ["doctor"])
                #expect(doctor.status == 0, "\(doctor.stdout)\(doctor.stderr)")
                #expect(doctor.stdout.contains("read-only"), "doctor says the state is read-only: \(doctor.stdout)")

                // The FUSE mount of a read-only state (its log goes to the temporary directory).
                let fuse = fixture.directory.path + "/fuse"
                try FileManager.default.createDirectory(atPath: fuse, withIntermediateDirectories: true)
                let mount = try await run(readOnly, ["vfs", "mount", fuse, "--ns", "workspace", "--background"])
                #expect(mount.status == 0, "\(mount.stderr)")
                if mount.status == 0 {
                    let mounted = try? String(contentsOfFile: fuse + "/notes/a.md", encoding: .utf8)
                    #expect(try await run(readOnly, ["vfs", "umount", fuse]).status == 0)
                    #expect(mounted == "alpha\nbeta\n")
                }

                let writes: [(arguments: [String], stdin: Data?)] = [
                    (["vfs", "write", "/notes/b.md"], Data("x".utf8)), (["vfs", "mkdir", "/d"], nil), (["vfs", "rm", "/notes/a.md"], nil),
                    (["vfs", "mv", "/notes/a.md", "/a.md"], nil), (["sessions", "reset", "main"], nil), (["models", "set", "fake/m1"], nil),
                    (["agent", "-m", "hi"], nil),
                ]
                for write in writes {
                    let result = try await run(readOnly, write.arguments, stdin: write.stdin, environment: RuntimeFixture.keyEnvironment)
                    #expect(result.status == 1, "\(write.arguments) on the read-only state: \(result.status) \(result.stderr)")
                    #expect(result.stderr.contains("EROFS") || result.stderr.contains("read-only"), "\(write.arguments): \(result.stderr)")
                    #expect(result.stderr.contains("read-only filesystem"), "the reason is named: \(write.arguments): \(result.stderr)")
                }
                #expect(fixture.fake.requests.count == 1, "no run reached the model on the read-only state")
            }
            let after = try await CLIRunner.shellOff("cd '\(fixture.state)' && find . -type f -exec sha256sum {} + | LC_ALL=C sort")
            #expect(before.stdout == after.stdout, "the state is byte for byte what it was")
        }
    }

    @Test func aCopyWithoutItsWALIndexIsReadAsImmutable() async throws {
        try await withWrittenState { fixture in
            let listing = try await fixture.run(["vfs", "find", "/"])
            let sessions = try await fixture.run(["sessions", "list", "--json"])
            // A backup restored without the -wal and -shm files (the WAL empty after a clean close).
            let copy = fixture.directory.path + "/copy"
            let prepared = try await CLIRunner.shellOff("cp -a '\(fixture.state)' '\(copy)' && find '\(copy)' \\( -name '*-wal' -o -name '*-shm' \\) -delete")
            try #require(prepared.status == 0, "\(prepared.stderr)")
            try await withReadOnlyMount(of: copy, in: fixture) { readOnly in
                let find = try await run(readOnly, ["vfs", "find", "/"])
                #expect(find.status == 0, "\(find.stderr)")
                #expect(find.stdout == listing.stdout)
                let list = try await run(readOnly, ["sessions", "list", "--json"])
                #expect(list.status == 0, "\(list.stderr)")
                #expect(list.stdout.replacingOccurrences(of: readOnly, with: fixture.state) == sessions.stdout)
                let cat = try await run(readOnly, ["vfs", "cat", "/notes/a.md"])
                #expect(cat.stdout == "alpha\nbeta\n", "\(cat.stderr)")
                let write = try await run(readOnly, ["vfs", "write", "/x"], stdin: Data("x".utf8))
                #expect(write.status == 1)
                #expect(write.stderr.contains("EROFS"), "\(write.stderr)")
            }
        }
    }

    @Test func aWALWithCommitsButNoIndexIsRefusedNotMisread() async throws {
        try await withWrittenState { fixture in
            let copy = fixture.directory.path + "/copy"
            try #require(try await CLIRunner.shellOff("cp -a '\(fixture.state)' '\(copy)'").status == 0)
            // A commit left in the WAL (no checkpoint), copied while its writer is open, without
            // the -shm index: immutable reading would silently miss the commit.
            let database = copy + "/agents/main/agent/openclaw-agent.sqlite"
            let script = """
                import shutil, sqlite3, os
                c = sqlite3.connect('\(database)')
                c.execute('PRAGMA wal_autocheckpoint = 0')
                c.execute("UPDATE vfs_entries SET mode = mode")
                c.commit()
                os.makedirs('\(copy)-2/agents/main/agent')
                for suffix in ['', '-wal']:
                    shutil.copyfile('\(database)' + suffix, '\(copy)-2/agents/main/agent/openclaw-agent.sqlite' + suffix)
                print(os.path.getsize('\(database)-wal'))
                """
            let python = try await CLIRunner.shellOff("python3 -c \"\(script.replacingOccurrences(of: "\"", with: "\\\""))\"")
            try #require(python.status == 0, "\(python.stderr)")
            try #require((Int(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "the WAL holds the commit: \(python.stdout)")
            try await withReadOnlyMount(of: copy + "-2", in: fixture) { readOnly in
                let ls = try await run(readOnly, ["vfs", "ls", "/"])
                #expect(ls.status == 1, "\(ls.stdout)")
                #expect(ls.stderr.contains("WAL") && ls.stderr.contains("holds commits"), "\(ls.stderr)")
                #expect(ls.stderr.contains("hint: copy the state directory to writable storage"), "\(ls.stderr)")
            }
        }
    }
}
