import Foundation
import Testing

/// Real FUSE mounts through the `openclaw` executable. They need /dev/fuse and root (CI has
/// both); without them the mount fails and so do these tests, loudly.
@Suite(.serialized) struct FuseMountTests {
    let directory = TemporaryDirectory()
    var state: String { directory.path + "/state" }
    var cli: CLIRunner { CLIRunner(state: state) }

    /// A source tree with nesting, odd names, modes, an empty file and directory, and binary data.
    func makeTree() throws -> String {
        let tree = directory.path + "/tree"
        for index in 0..<60 {
            try directory.write("tree/pkg\(index % 6)/sub\(index % 3)/file \(index).txt", String(repeating: "line \(index) needle\(index % 7)\n", count: index + 1))
        }
        try directory.write("tree/empty.txt", "")
        try directory.write("tree/unicode/日本語 é.md", "# unicode\nneedle0\n")
        try FileManager.default.createDirectory(atPath: tree + "/emptydir", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/bin", withIntermediateDirectories: true)
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: tree + "/bin/blob.bin"))
        chmod(tree + "/pkg1/sub1/file 1.txt", 0o600)
        chmod(tree + "/pkg2", 0o700)
        // Copy a real source tree too.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/Sources"
        #expect(try CLIRunner.shell("cp -a '\(sources)' '\(tree)/Sources'").status == 0)
        return tree
    }

    /// Mounts in the background and returns the pid of the mount process.
    @discardableResult
    func mount(_ mountPoint: String, _ extra: [String] = []) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let result = try cli.run(["vfs", "mount", mountPoint, "--background"] + extra)
        #expect(result.status == 0, "mount failed (FUSE needs /dev/fuse and root): \(result.stderr)")
        if result.status != 0 { throw CancellationError() }
        let pid = result.stdout.components(separatedBy: "(pid ").last?.prefix { $0.isNumber }
        return Int32(pid.map(String.init) ?? "") ?? -1
    }

    func unmount(_ mountPoint: String) {
        _ = try? cli.run(["vfs", "umount", mountPoint])
    }

    @Test func theMountMatchesTheTreeItWasImportedFrom() throws {
        let tree = try makeTree()
        #expect(try cli.run(["vfs", "import", tree]).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }

        let diff = try CLIRunner.shell("diff -r '\(tree)' '\(mountPoint)'")
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        // Sizes of files (a directory's size is the filesystem's own business), modes, types, mtimes.
        let listing = "find . -mindepth 1 \\( -type f -printf '%p %s %m %y %T@\\n' \\) -o \\( -type d -printf '%p %m %y %T@\\n' \\) | LC_ALL=C sort"
        let native = try CLIRunner.shell("cd '\(tree)' && \(listing)")
        let mounted = try CLIRunner.shell("cd '\(mountPoint)' && \(listing)")
        #expect(native.stdout == mounted.stdout)
        #expect(native.stdout.split(separator: "\n").count > 100)
        let grep = "grep -rn needle3 . | LC_ALL=C sort"
        #expect(try CLIRunner.shell("cd '\(tree)' && \(grep)").stdout == CLIRunner.shell("cd '\(mountPoint)' && \(grep)").stdout)
        let tar = "tar --sort=name --format=ustar --owner=0 --group=0 -cf - . | sha256sum"
        let nativeTar = try CLIRunner.shell("cd '\(tree)' && \(tar)")
        #expect(nativeTar.status == 0)
        let mountedTar = try CLIRunner.shell("cd '\(mountPoint)' && \(tar)")
        #expect(nativeTar.stdout == mountedTar.stdout, "tar on the mount: status \(mountedTar.status), \(mountedTar.stderr.prefix(800))")
        let stat = "stat -c '%n %s %a %F %.9Y' 'pkg1/sub1/file 1.txt' empty.txt 'unicode/日本語 é.md' && stat -c '%n %a %F %.9Y' pkg2 emptydir"
        #expect(try CLIRunner.shell("cd '\(tree)' && \(stat)").stdout == CLIRunner.shell("cd '\(mountPoint)' && \(stat)").stdout)
        // Link counts: 1 for files, and 1 ("not counted") for directories, even those with subdirectories.
        let links = try CLIRunner.shell("cd '\(mountPoint)' && stat -c '%h' pkg1 pkg1/sub1 emptydir 'pkg1/sub1/file 1.txt'")
        #expect(links.stdout == "1\n1\n1\n1\n", "\(links.stdout)\(links.stderr)")
        let directories = "find . -mindepth 1 -type d | LC_ALL=C sort"
        #expect(try CLIRunner.shell("cd '\(tree)' && \(directories)").stdout == CLIRunner.shell("cd '\(mountPoint)' && \(directories)").stdout)
        let du = try CLIRunner.shell("df --output=fstype,target '\(mountPoint)' && grep ' \(mountPoint) ' /proc/mounts")
        #expect(du.stdout.contains("fuse.openclaw"))
        #expect(du.stdout.contains("fuse.openclaw ro,"), "\(du.stdout)")
        // Extended attributes carry the stored hash and metadata.
        let xattr = try CLIRunner.shell("python3 -c \"import os; p='\(mountPoint)/empty.txt'; print(os.getxattr(p, 'user.openclaw.sha256').decode()); print(sorted(os.listxattr(p)))\"")
        #expect(xattr.stdout == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n['user.openclaw.metadata', 'user.openclaw.sha256']\n", "\(xattr.stderr)")
    }

    @Test func everyMutatingCallIsReadOnly() throws {
        #expect(try cli.run(["vfs", "write", "/dir/file"], stdin: Data("x".utf8)).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }
        let attempts = [
            "touch new", "mkdir newdir", "rm dir/file", "rmdir dir", "mv dir/file moved", "chmod 777 dir/file",
            "truncate -s 0 dir/file", "ln -s dir/file link", "ln dir/file hardlink", "touch -d 2000-01-01 dir/file",
            "sh -c 'echo y > dir/file'", "sh -c 'echo y >> dir/file'", "sh -c 'echo y > created'", "cp dir/file dir/copy",
            "python3 -c \"import os; os.setxattr('dir/file', 'user.x', b'1')\"",
            "python3 -c \"import os; os.removexattr('dir/file', 'user.openclaw.sha256')\"",
            "mknod fifo p", "chown 1:1 dir/file",
        ]
        for attempt in attempts {
            let result = try CLIRunner.shell("cd '\(mountPoint)' && LC_ALL=C \(attempt) 2>&1")
            #expect(result.status != 0, "\(attempt) succeeded")
            #expect(result.stdout.contains("Read-only file system") || result.stdout.contains("EROFS") || result.stdout.contains("Errno 30"), "\(attempt): \(result.stdout)")
        }
        #expect(try cli.run(["vfs", "cat", "/dir/file"]).stdout == "x")
    }

    @Test func changesWrittenElsewhereShowWithinASecond() throws {
        #expect(try cli.run(["vfs", "write", "/a.txt"], stdin: Data("one".utf8)).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint)
        defer { unmount(mountPoint) }
        let root = mountPoint + "/workspace"
        #expect(try String(contentsOfFile: root + "/a.txt", encoding: .utf8) == "one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).sorted() == ["skills", "workspace"])

        func eventually(_ what: String, _ check: () -> Bool) {
            let deadline = Date().addingTimeInterval(1.0)
            while Date() < deadline {
                if check() { return }
                usleep(20_000)
            }
            Issue.record("not visible within one second: \(what)")
        }
        #expect(try cli.run(["vfs", "write", "/a.txt"], stdin: Data("two!".utf8)).status == 0)
        eventually("rewrite") { (try? String(contentsOfFile: root + "/a.txt", encoding: .utf8)) == "two!" }
        #expect(try cli.run(["vfs", "write", "/new/b.txt"], stdin: Data("b".utf8)).status == 0)
        eventually("new file") { (try? FileManager.default.contentsOfDirectory(atPath: root + "/new")) == ["b.txt"] }
        // A name looked up before it exists is cached as absent (negative entry), and shows once created.
        for _ in 0..<3 { #expect(!FileManager.default.fileExists(atPath: root + "/new/.gitignore")) }
        #expect(try cli.run(["vfs", "write", "/new/.gitignore"], stdin: Data("*.o\n".utf8)).status == 0)
        eventually("a name cached as absent, then created") { (try? String(contentsOfFile: root + "/new/.gitignore", encoding: .utf8)) == "*.o\n" }
        #expect(try cli.run(["vfs", "rm", "/new/.gitignore"]).status == 0)
        eventually("and removed again") { !FileManager.default.fileExists(atPath: root + "/new/.gitignore") }
        #expect(try cli.run(["vfs", "rm", "/a.txt"]).status == 0)
        eventually("removal") { !FileManager.default.fileExists(atPath: root + "/a.txt") }
        #expect(try cli.run(["vfs", "fork", "workspace", "run:7"]).status == 0)
        eventually("new namespace") { (try? FileManager.default.contentsOfDirectory(atPath: mountPoint).sorted()) == ["run:7", "skills", "workspace"] }
        eventually("forked content") { (try? String(contentsOfFile: mountPoint + "/run:7/new/b.txt", encoding: .utf8)) == "b" }
        #expect(try cli.run(["vfs", "namespaces", "rm", "run:7"]).status == 0)
        eventually("removed namespace") { (try? FileManager.default.contentsOfDirectory(atPath: mountPoint).sorted()) == ["skills", "workspace"] }
        // A directory handle opened before a change does not put the old listing back.
        let listing = """
            import os, subprocess, sys, time
            root, binary, state = sys.argv[1], sys.argv[2], sys.argv[3]
            os.listdir(root + '/new')
            fd = os.open(root + '/new', os.O_RDONLY | os.O_DIRECTORY)
            subprocess.run([binary, 'vfs', 'write', '/new/c.txt', '--state', state], input=b'c', check=True)
            time.sleep(0.4)
            stale = sorted(os.listdir(fd))
            fresh = sorted(os.listdir(root + '/new'))
            assert fresh == ['b.txt', 'c.txt'], (stale, fresh)
            # A small file removed while open still reads its version.
            handle = open(root + '/new/b.txt', 'rb')
            subprocess.run([binary, 'vfs', 'rm', '/new/b.txt', '--state', state], check=True)
            time.sleep(0.4)
            assert handle.read() == b'b'
            print('ok')
            """
        try listing.write(toFile: directory.path + "/listing.py", atomically: true, encoding: .utf8)
        let checked = try CLIRunner.shell("python3 '\(directory.path)/listing.py' '\(root)' '\(CLIRunner.executable)' '\(state)'")
        #expect(checked.stdout == "ok\n", "\(checked.stdout)\(checked.stderr)")
        // The mount holds no write lock: writers are not slowed down while it serves reads.
        let writes = try CLIRunner.shell("for i in 1 2 3 4 5; do printf x | OPENCLAW_SQLITE_BUSY_TIMEOUT_MS=2000 '\(CLIRunner.executable)' vfs write /w$i --state '\(state)' || exit 1; done")
        #expect(writes.status == 0, "\(writes.stderr)")
    }

    @Test func largeFilesAndParallelReadersAndStableHandles() throws {
        let big = directory.path + "/big.bin"
        #expect(try CLIRunner.shell("head -c 104857600 /dev/urandom > '\(big)'").status == 0)
        #expect(try cli.run(["vfs", "write", "/big.bin", "--from", big]).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }
        let expected = try CLIRunner.shell("sha256sum < '\(big)'").stdout
        #expect(try CLIRunner.shell("sha256sum < '\(mountPoint)/big.bin'").stdout == expected)
        // Several readers at once (separate processes; a shell's `wait` would hang on the signal
        // mask the test runner passes on).
        let readers = try (1...4).map { index in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "sha256sum < '\(mountPoint)/big.bin' > '\(directory.path)/sum\(index)'"]
            try process.run()
            return process
        }
        for reader in readers { reader.waitUntilExit() }
        for index in 1...4 {
            #expect(try String(contentsOfFile: directory.path + "/sum\(index)", encoding: .utf8) == expected)
        }
        // A reader holding a file across a rewrite reads the old version whole (as ext4 keeps an
        // open file's data), and a new open reads the new version whole. The cached pages are
        // dropped after the rewrite, so the old version's bytes come from the mount, not the
        // kernel's cache. With no grace period the old version is gone: ESTALE, never mixed bytes.
        let script = """
            import os, subprocess, sys, time
            path, binary, state, grace = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
            old = open('\(big)', 'rb').read()
            environment = dict(os.environ, OPENCLAW_VFS_RELEASED_GRACE_SECONDS=grace)
            with open(path, 'rb', buffering=0) as handle:
                first = handle.read(len(old) // 2)
                subprocess.run([binary, 'vfs', 'write', '/big.bin', '--state', state], input=b'N' * len(old), check=True, env=environment)
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                time.sleep(0.3)
                rest = b''
                try:
                    while True:
                        chunk = handle.read(1 << 20)
                        if not chunk: break
                        rest += chunk
                except OSError as error:
                    assert old.startswith(first + rest), 'mixed versions'
                    print('stale', error.errno)
                    sys.exit(0)
                assert first + rest == old, 'the old version, not whole: %d bytes' % len(first + rest)
                print('old whole', len(first + rest))
            with open(path, 'rb') as fresh:
                assert fresh.read() == b'N' * len(old), 'the new version, not whole'
            print('new whole')
            """
        try script.write(toFile: directory.path + "/handle.py", atomically: true, encoding: .utf8)
        let held = try CLIRunner.shell("python3 '\(directory.path)/handle.py' '\(mountPoint)/big.bin' '\(CLIRunner.executable)' '\(state)' 600")
        #expect(held.status == 0 && held.stdout == "old whole 104857600\nnew whole\n", "\(held.stdout)\(held.stderr)")
        // Back to the first bytes, then the same with no grace period.
        #expect(try cli.run(["vfs", "write", "/big.bin", "--from", big]).status == 0)
        usleep(300_000)
        let freed = try CLIRunner.shell("python3 '\(directory.path)/handle.py' '\(mountPoint)/big.bin' '\(CLIRunner.executable)' '\(state)' 0")
        #expect(freed.status == 0 && freed.stdout == "stale \(ESTALE)\n", "\(freed.stdout)\(freed.stderr)")
    }

    @Test func theMountSurvivesItsDatabaseFileBeingDeleted() throws {
        #expect(try cli.run(["vfs", "write", "/kept.txt"], stdin: Data("still here".utf8)).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint, ["--ns", "workspace"])
        defer { unmount(mountPoint) }
        #expect(try String(contentsOfFile: mountPoint + "/kept.txt", encoding: .utf8) == "still here")
        let database = state + "/agents/main/agent/openclaw-agent.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        usleep(1_500_000)  // the watcher checks the file about once a second
        // Still mounted and still serving what it had open.
        #expect(try String(contentsOfFile: mountPoint + "/kept.txt", encoding: .utf8) == "still here")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["kept.txt"])
        let log = try String(contentsOfFile: state + "/logs/vfs-mount-main.log", encoding: .utf8)
        #expect(log.contains("was deleted or replaced while mounted"), "\(log)")
    }

    @Test func sigtermUnmountsCleanlyAndMountPointsAreChecked() throws {
        let mountPoint = directory.path + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(try cli.run(["vfs", "write", "/f"], stdin: Data("f".utf8)).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        process.arguments = ["vfs", "mount", mountPoint, "--state", state]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !FileManager.default.fileExists(atPath: mountPoint + "/workspace/f") { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: mountPoint + "/workspace/f"), "the foreground mount did not come up")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
        #expect(!mounts.contains(" \(mountPoint) "), "a stale mount was left")

        // A killed mount leaves a stale mount point: mounting says how to fix it, umount fixes it.
        let pid = try mount(mountPoint)
        #expect(pid > 0)
        #expect(kill(pid, SIGKILL) == 0)
        usleep(200_000)
        let stale = try cli.run(["vfs", "mount", mountPoint])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("stale mount"), "\(stale.stderr)")
        #expect(try cli.run(["vfs", "umount", mountPoint]).status == 0)
        #expect(!(try String(contentsOfFile: "/proc/mounts", encoding: .utf8)).contains(" \(mountPoint) "))

        let missing = try cli.run(["vfs", "mount", directory.path + "/missing"])
        #expect(missing.stderr.contains("does not exist; create it first"))
        try directory.write("full/x", "x")
        let full = try cli.run(["vfs", "mount", directory.path + "/full"])
        #expect(full.stderr.contains("is not empty"))
        let notMounted = try cli.run(["vfs", "umount", mountPoint])
        #expect(notMounted.status == 1)
        #expect(notMounted.stderr.contains("is not mounted"))
        let json = try cli.run(["vfs", "mount", mountPoint, "--background", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let described = try #require(try json.json() as? [String: Any])
        #expect(described["mountPoint"] as? String == mountPoint)
        #expect((described["pid"] as? Int ?? 0) > 0)
        #expect(try cli.run(["vfs", "umount", mountPoint]).status == 0)
        #expect(try cli.run(["vfs", "mount", mountPoint, "--json"]).status == 64)
        let noNamespace = try cli.run(["vfs", "mount", mountPoint, "--ns", "run:none"])
        #expect(noNamespace.stderr.contains("no namespace 'run:none'"), "\(noNamespace.stderr)")
    }
}
