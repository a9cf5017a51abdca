import Foundation
import Testing

/// Real programs on a mounted workspace against the same tree on the host filesystem: each probe
/// runs in both roots with relative paths, and its output and exit status must be equal.
extension FuseMountTests {
    /// A git repository (two commits, the project's own sources, a Python package, C sources, an
    /// SQLite database) beside the workspace it is imported into.
    func makeRepository() throws -> String {
        let tree = try makeTree()
        try directory.write("tree/pyk/__init__.py", "from .core import answer\n")
        try directory.write("tree/pyk/core.py", "def answer():\n    return 'forty-two from the mount'\n")
        try directory.write("tree/c/inc.h", "#pragma once\nstatic inline int twice(int x) { return 2 * x; }\n")
        try directory.write("tree/c/main.c", "#include \"inc.h\"\nint main(void) { return twice(0); }\n")
        try directory.write("tree/c/bad.c", "#include \"inc.h\"\nint main(void) { return twice(); }\n")
        let setup = """
            set -e
            cd '\(tree)'
            sqlite3 data.db "CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('alpha'), ('beta'); PRAGMA journal_mode=DELETE;" >/dev/null
            export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
            export GIT_AUTHOR_DATE='2026-01-02T03:04:05Z' GIT_COMMITTER_DATE='2026-01-02T03:04:05Z' GIT_CONFIG_NOSYSTEM=1 HOME='\(directory.path)'
            touch -d '2030-01-01 00:00:00' ref
            git init -q -b main .
            git add -A && git commit -q -m 'first'
            printf 'needle3 again\\n' >> 'pkg0/sub0/file 0.txt'
            git commit -q -am 'second'
            # Newer than ref, content unchanged: git status reads them and stays clean.
            touch -d '2031-06-01 00:00:00' 'pkg1/sub1/file 1.txt' c/main.c
            """
        let result = try CLIRunner.shell(setup)
        #expect(result.status == 0, "\(result.stderr)")
        return tree
    }

    /// The probes: name, then the shell command run from the root of the tree.
    static let toolProbes: [(name: String, command: String)] = [
        ("git log", "git log --format='%H %an %s' && git log -1 --stat --format=%s"),
        ("git show", "git show HEAD~1 --format=%H --stat -- c pyk && git show HEAD"),
        ("git grep", "git grep -n needle3"),
        ("git status", "git status --porcelain=v1 --untracked-files=all"),
        ("git fsck", "git fsck --full --no-progress --strict"),
        // With the path given: rg reads standard input when it is not a terminal.
        ("rg", "rg -n --sort path needle3 ."),
        ("rg --mmap", "rg -n --sort path --mmap needle5 ."),
        ("rg -c", "rg -c --sort path 'func |struct ' ."),
        ("grep -r", "grep -rn needle2 . | LC_ALL=C sort"),
        ("find -newer", "find . -newer ref -type f | LC_ALL=C sort"),
        ("find -links", "find . -path ./.git -prune -o -type f -links 1 -print | LC_ALL=C sort"),
        ("find -size", "find . -size +20k -type f | LC_ALL=C sort"),
        ("find -type d", "find . -type d | LC_ALL=C sort"),
        ("tar c | tar t", "tar cf - --sort=name . | tar tf -"),
        // Without .git: git status on the host may refresh its index.
        ("tar contents", "tar cf - --sort=name --exclude=./.git . | tar xOf - | sha256sum"),
        ("python import", "PYTHONDONTWRITEBYTECODE=1 python3 -c 'import pyk; print(pyk.answer())'"),
        ("gcc", "gcc -fsyntax-only -Wall c/main.c"),
        ("gcc error", "gcc -fsyntax-only c/bad.c"),
        ("sqlite3 immutable", "sqlite3 'file:data.db?immutable=1' 'SELECT x FROM t ORDER BY x; PRAGMA integrity_check;'"),
        ("mmap", "python3 -c 'import mmap, hashlib; f = open(\"bin/blob.bin\", \"rb\"); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); print(len(m), hashlib.sha256(m).hexdigest(), m[1000:1008].hex())'"),
    ]

    /// Runs every probe from `root`: `== name ==`, its output (stdout and stderr), its status.
    func runProbes(in root: String) throws -> [String: String] {
        var outputs: [String: String] = [:]
        for (name, command) in Self.toolProbes {
            let result = try CLIRunner.shell("cd '\(root)' && export HOME='\(directory.path)' GIT_CONFIG_NOSYSTEM=1 LC_ALL=C && (\(command)) 2>&1; echo \"status $?\"")
            outputs[name] = result.stdout
        }
        return outputs
    }

    /// The repository imported as `/repo` and mounted: `body` gets the host tree and its mounted copy.
    func withMountedRepository(_ body: (_ tree: String, _ mounted: String) throws -> Void) throws {
        let tree = try makeRepository()
        #expect(try cli.run(["vfs", "import", tree, "/repo"]).status == 0)
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint)
        defer { unmount(mountPoint) }
        try body(tree, mountPoint + "/workspace/repo")
    }

    @Test func realToolsReadTheMountAsTheyReadTheHostTree() throws {
        try withMountedRepository { tree, mounted in
            let host = try runProbes(in: tree)
            let onMount = try runProbes(in: mounted)
            for (name, _) in Self.toolProbes {
                #expect(onMount[name] == host[name], "\(name) differs:\n--- host\n\(host[name]?.prefix(600) ?? "")\n--- mount\n\(onMount[name]?.prefix(600) ?? "")")
            }
            // The probes are not vacuous: each found what it looks for.
            #expect(host["git log"]?.contains(" t second\n") == true, "\(host["git log"]?.prefix(300) ?? "")")
            #expect(host["git status"] == "status 0\n", "a clean tree: \(host["git status"] ?? "")")
            #expect(host["git fsck"] == "status 0\n", "\(host["git fsck"] ?? "")")
            #expect(host["rg"]?.contains("needle3 again") == true, "\(String(reflecting: host["rg"]?.prefix(300)))")
            #expect(host["rg --mmap"]?.contains("needle5") == true && host["grep -r"]?.contains("needle2") == true)
            #expect(host["git grep"]?.contains("needle3 again") == true && host["tar c | tar t"]?.contains("./c/main.c\n") == true)
            #expect(host["python import"] == "forty-two from the mount\nstatus 0\n")
            #expect(host["gcc"] == "status 0\n")
            #expect(host["gcc error"]?.contains("error:") == true && host["gcc error"]?.hasSuffix("status 1\n") == true)
            #expect(host["sqlite3 immutable"] == "alpha\nbeta\nok\nstatus 0\n")
            #expect(host["find -newer"] == "./c/main.c\n./pkg1/sub1/file 1.txt\nstatus 0\n")
            #expect(host["find -type d"]?.contains("./pkg5/sub2\n") == true, "find walks into every directory (st_nlink is not 2)")
            #expect(host["mmap"]?.hasPrefix("300000 ") == true)
            // Nothing the tools did wrote through the mount.
            #expect(try cli.run(["vfs", "ls", "/repo/.git/index.lock"]).status != 0)
        }
    }

    /// The import gives the git index the stat data the mount reports for every file whose
    /// content matches it: git on the mount then finds every clean file clean by its stat alone
    /// (hashing none), and still sees what changed, before the import or after it.
    @Test func gitOnTheMountFindsCleanFilesByTheirStatAndStillSeesChanges() throws {
        let tree = try makeRepository()
        try directory.write("tree/pkg0/sub0/file 0.txt", "changed on the host, not committed\n")
        let hostIndex = try Data(contentsOf: URL(fileURLWithPath: tree + "/.git/index"))
        let imported = try cli.run(["vfs", "import", "--json", tree, "/repo"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let indexes = try #require((try imported.json() as? [String: Any])?["gitIndexes"] as? [[String: Any]], "\(imported.stdout)")
        #expect(indexes.count == 1 && indexes[0]["index"] as? String == "/repo/.git/index" && indexes[0]["skipped"] is NSNull)
        let entries = indexes.first?["entries"] as? Int ?? 0
        #expect(entries > 20 && indexes.first?["refreshed"] as? Int == entries - 1, "every entry but the changed file: \(indexes)")
        let text = try cli.run(["vfs", "import", tree, "/again"])
        #expect(text.stdout.contains("git index /again/.git/index: \(entries - 1) of \(entries) entries given the mount's stat data"), "\(text.stdout)")
        let kept = try cli.run(["vfs", "import", "--keep-git-index", "--json", tree, "/kept"])
        let keptIndexes = (try kept.json() as? [String: Any])?["gitIndexes"] as? [Any]
        #expect(kept.status == 0 && keptIndexes?.isEmpty == true, "\(kept.stdout)")
        #expect(try cli.run(["vfs", "cat", "/kept/.git/index"]).stdoutData == hostIndex, "--keep-git-index keeps it byte for byte")
        let mountPoint = directory.path + "/mnt"
        try mount(mountPoint)
        defer { unmount(mountPoint) }
        func git(_ root: String, _ command: String) throws -> String {
            try CLIRunner.shell("cd '\(root)' && export HOME='\(directory.path)' GIT_CONFIG_NOSYSTEM=1 LC_ALL=C && \(command) 2>&1; echo \"status $?\"").stdout
        }
        let repo = mountPoint + "/workspace/repo"
        // diff-files compares stat data only: it lists what git would have to hash.
        #expect(try git(repo, "git diff-files --name-only") == "pkg0/sub0/file 0.txt\nstatus 0\n", "only the file changed before the import")
        let unrefreshed = try git(mountPoint + "/workspace/kept", "git diff-files --name-only").split(separator: "\n")
        #expect(unrefreshed.count > 20, "an index kept as imported matches no file's stat: \(unrefreshed.count - 1) differ")
        #expect(try git(repo, "git status --porcelain=v1") == " M \"pkg0/sub0/file 0.txt\"\nstatus 0\n")
        #expect(try git(repo, "git status --porcelain=v1") == git(tree, "git status --porcelain=v1"))
        #expect(try git(repo, "git fsck --no-progress --strict") == "status 0\n", "the rewritten index is sound")
        // A rewrite through the VFS is seen by its new stat.
        #expect(try cli.run(["vfs", "write", "/repo/c/main.c"], stdin: Data("int main(void) { return 1; }\n".utf8)).status == 0)
        let deadline = Date().addingTimeInterval(5)
        var status = ""
        repeat {
            status = try git(repo, "git status --porcelain=v1")
            if status.contains("c/main.c") { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        #expect(status == " M c/main.c\n M \"pkg0/sub0/file 0.txt\"\nstatus 0\n", "\(status)")
        #expect(try cli.run(["vfs", "ls", "/repo/.git/index.lock"]).status != 0, "git wrote nothing through the mount")
        // Index version 4 (paths prefix-compressed) is read too.
        #expect(try git(tree, "git update-index --index-version 4") == "status 0\n")
        let version4 = try cli.run(["vfs", "import", "--json", tree, "/v4"])
        let v4Index = ((try version4.json() as? [String: Any])?["gitIndexes"] as? [[String: Any]])?.first
        #expect(v4Index?["entries"] as? Int == entries && v4Index?["refreshed"] as? Int == entries - 1, "\(version4.stdout)")
        let v4Repo = mountPoint + "/workspace/v4"
        let deadlineV4 = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: v4Repo + "/.git/index"), Date() < deadlineV4 { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try git(v4Repo, "git diff-files --name-only") == "pkg0/sub0/file 0.txt\nstatus 0\n")
    }

    /// `less` and `vim -R` in a real terminal (tmux): the screens on the mount and on the host are
    /// the same.
    @Test func pagersAndEditorsShowTheSameScreens() throws {
        try withMountedRepository { tree, mounted in
            let file = "Sources/VFS/VirtualFileSystem.swift"
            func screen(_ program: String, in root: String, waitingFor marker: String) throws -> String {
                // A server of its own per screen (`-L`): on the shared default server, one screen's
                // kill-session ends the server while the next screen's new-session is connecting to it
                // ("server exited unexpectedly"), and other tmux users on the machine share it too.
                let server = "openclaw-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                let script = """
                    cd '\(root)'
                    tmux -L \(server) new-session -d -s screen -x 100 -y 30 "env TERM=xterm LESSHISTFILE=- HOME='\(directory.path)' \(program)" || exit 1
                    for i in $(seq 100); do
                      out="$(tmux -L \(server) capture-pane -p -t screen)"
                      case "$out" in *'\(marker)'*) break;; esac
                      sleep 0.05
                    done
                    sleep 0.2
                    tmux -L \(server) capture-pane -p -t screen
                    tmux -L \(server) kill-server
                    """
                let result = try CLIRunner.shell(script)
                #expect(result.status == 0, "\(program): \(result.stderr)")
                return result.stdout
            }
            for (program, marker) in [("less \(file)", "import"), ("vim -R -u NONE -i NONE -N \(file)", "[readonly]")] {
                let host = try screen(program, in: tree, waitingFor: marker)
                let onMount = try screen(program, in: mounted, waitingFor: marker)
                #expect(host.contains(marker), "\(program) showed: \(host)")
                #expect(onMount == host, "\(program) differs:\n--- host\n\(host)\n--- mount\n\(onMount)")
            }
        }
    }
}
