import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Shell commands for `openclaw-bench fuse`, spawned directly (posix_spawn + waitpid, no
/// Foundation `Process` run loop) so that the time measured is the command's.
enum Shell {
    /// The environment every command gets: the bench's own, with `LC_ALL=C` so that `grep`,
    /// `sort` and `ls` do the same byte-wise work on both sides.
    static let environment: [String] = {
        var variables = ProcessInfo.processInfo.environment
        variables["LC_ALL"] = "C"
        return variables.map { "\($0.key)=\($0.value)" }
    }()

    /// Runs `/bin/sh -c 'cd DIRECTORY && COMMAND'` with stdin from /dev/null, stdout to
    /// `stdout` and stderr to `stderr`. Throws on a non-zero exit (with the stderr text).
    static func run(_ command: String, in directory: String, stdout: String = "/dev/null", stderr: String) throws {
        let script = "cd " + quote(directory) + " && " + command
        let arguments = ["/bin/sh", "-c", script]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // The bench ignores SIGINT/SIGTERM (it unmounts on them) and the Swift runtime may ignore
        // SIGPIPE: the commands get the default dispositions and an empty signal mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw BenchError("posix_spawn /bin/sh: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError.system("waitpid", command) }
        }
        let signal = status & 0x7F
        let code = (status >> 8) & 0xFF
        guard signal == 0, code == 0 else {
            let text = ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let how = signal != 0 ? "was killed by signal \(signal)" : "exited with status \(code)"
            throw BenchError("`\(command)` in \(directory) \(how)" + (text.isEmpty ? "" : ": " + String(text.prefix(600))))
        }
    }

    /// Runs `command` and returns its stdout (through a file in `scratch`).
    static func output(_ command: String, in directory: String, scratch: String) throws -> String {
        let path = scratch + "/stdout.txt"
        try run(command, in: directory, stdout: path, stderr: scratch + "/stderr.txt")
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Single-quotes `text` for /bin/sh.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Runs `openclaw` (the CLI of the same build) as a subprocess.
struct OpenClawCLI {
    let executable: String
    let scratch: String

    /// Runs `openclaw ARGUMENTS`; returns stdout, throws with stderr on failure.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(Shell.quote($0.value)) " }.joined()
        return try Shell.output(assignments + ([executable] + arguments).map(Shell.quote).joined(separator: " "), in: "/", scratch: scratch)
    }

    /// The `openclaw` beside this executable (`.build-bench/release/openclaw` for
    /// `.build-bench/release/openclaw-bench`).
    static func sibling() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("openclaw").path
    }
}

/// What must be undone however the run ends: the mount, then the run directory. Idempotent and
/// thread-safe: it runs from the normal end of `run()`, on an error, and on SIGINT/SIGTERM.
final class FuseCleanup: Sendable {
    private struct State {
        var mountPoint: String?
        var mountPID: Int32?
        var cli: OpenClawCLI?
        var root: String?
        var keep = false
    }

    private let state = Mutex(State())

    func setRoot(_ root: String, keep: Bool) {
        state.withLock { state in
            state.root = root
            state.keep = keep
        }
    }

    func mounted(_ mountPoint: String, pid: Int32?, cli: OpenClawCLI) {
        state.withLock { state in
            state.mountPoint = mountPoint
            state.mountPID = pid
            state.cli = cli
        }
    }

    /// Unmounts if mounted (retrying, then lazily), and waits for the mount process to exit.
    func unmount() {
        state.withLock { Self.unmount(&$0) }
    }

    /// ``unmount()`` with the state locked.
    private static func unmount(_ state: inout State) {
        guard let mountPoint = state.mountPoint, let cli = state.cli else { return }
        state.mountPoint = nil
        var done = false
        for attempt in 0..<5 where !done {
            do {
                try cli.run(["vfs", "umount", mountPoint])
                done = true
            } catch {
                Log.info("umount \(mountPoint) failed (attempt \(attempt + 1)): \(error)")
                usleep(300_000)
            }
        }
        if !done {
            Log.info("unmounting \(mountPoint) lazily")
            _ = try? cli.run(["vfs", "umount", "--lazy", mountPoint])
        }
        if let pid = state.mountPID {
            // The mount process exits once its session ends; wait (up to 5 s) so that nothing
            // holds the database when the run directory is removed.
            for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        }
        Log.info("unmounted \(mountPoint)")
    }

    /// Unmounts, then removes the run directory (unless kept).
    func finish() {
        state.withLock { state in
            Self.unmount(&state)
            guard let root = state.root else { return }
            state.root = nil
            if state.keep {
                Log.info("kept \(root)")
            } else {
                Log.info("removing \(root)")
                try? Native.removeTree(root)
                // The default base directory (./.bench-tmp) goes too when this run was all it held.
                let base = (root as NSString).deletingLastPathComponent
                if (base as NSString).lastPathComponent == ".bench-tmp" { rmdir(base) }
            }
        }
    }

    /// On SIGINT or SIGTERM: unmount, remove the run directory, exit 130/143. The signals are
    /// blocked in this thread (and so in every thread started later) and taken by `sigwait` on a
    /// thread of their own; spawned commands get an empty signal mask (see ``Shell/run``).
    func installSignalHandlers() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let thread = Thread { [self] in
            var waited = sigset_t()
            sigemptyset(&waited)
            sigaddset(&waited, SIGINT)
            sigaddset(&waited, SIGTERM)
            var received: Int32 = 0
            guard sigwait(&waited, &received) == 0 else { return }
            Log.info("signal \(received): unmounting and cleaning up")
            finish()
            exit(128 + received)
        }
        thread.name = "openclaw-bench-signals"
        thread.start()
    }
}

/// Kernel page cache control, for the cold rows.
enum PageCache {
    /// `sync; echo 3 > /proc/sys/vm/drop_caches`: drops clean page cache, dentries and inodes
    /// (root only). Returns whether it worked.
    @discardableResult
    static func dropAll() -> Bool {
        sync()
        let fd = open("/proc/sys/vm/drop_caches", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "3", 1) == 1
    }

    /// Drops the cached pages of one file (`posix_fadvise(POSIX_FADV_DONTNEED)`), nothing else.
    static func dropFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        defer { close(fd) }
        let result = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        guard result == 0 else { throw BenchError("posix_fadvise \(path): \(String(cString: strerror(result)))") }
    }
}

/// The shape of the generated tree.
struct SourceTreeSummary: Codable {
    var files: Int
    var directories: Int
    var bytes: Int64
    /// Files by depth below the tree root (a file directly in it has depth 1).
    var filesByDepth: [String: Int]
    /// Files by size class.
    var filesBySize: [String: Int]
    /// Files that contain ``SourceTree/needle`` (what `grep -r` finds).
    var needleFiles: Int
    var largestFile: Int

    var text: String {
        let depths = filesByDepth.keys.sorted().map { "\($0): \(filesByDepth[$0]!)" }.joined(separator: ", ")
        let sizes = SourceTree.sizeClasses.map { "\($0.name): \(filesBySize[$0.name] ?? 0)" }.joined(separator: ", ")
        return "\(files) files (\(String(format: "%.0f", Double(bytes) / 1_048_576)) MiB) in \(directories) directories; "
            + "files by depth {\(depths)}; by size {\(sizes)}; largest \(String(format: "%.0f", Double(largestFile) / 1024)) KiB; "
            + "\(needleFiles) files contain the grep string"
    }
}

/// A deterministic source-tree-like host tree: text files, most 1-16 KiB, some up to 1 MiB,
/// 3 to 6 levels deep.
enum SourceTree {
    /// What `grep -r` looks for; about 1 file in 50 contains it once.
    static let needle = "OPENCLAW_FUSE_NEEDLE"

    /// Size classes: (name, range, share in percent).
    static let sizeClasses: [(name: String, range: ClosedRange<Int>, percent: Int)] = [
        ("1-16 KiB", 1024...16_384, 88),
        ("16-128 KiB", 16_385...131_072, 9),
        ("128 KiB-1 MiB", 131_073...1_048_576, 3),
    ]

    /// Directory names per level (a directory at level L picks one of `levels[L]`).
    static let levels: [[String]] = [
        ["src", "lib", "tools", "tests", "docs", "drivers", "include", "scripts"],
        ["core", "net", "fs", "io", "util", "api", "platform", "crypto", "mm", "ui"],
        ["impl", "internal", "common", "generic", "linux", "posix", "v2", "legacy"],
        ["detail", "backend", "helpers", "codec", "proto", "parser"],
        ["a", "b", "c", "d", "e"],
    ]

    static let words = ["static", "int", "return", "if", "else", "for", "while", "struct", "void", "const", "let", "var",
                        "func", "import", "self", "data", "buffer", "count", "index", "value", "error", "result", "path",
                        "node", "entry", "size", "offset", "length", "read", "write", "open", "close", "table", "cache",
                        "lock", "state", "config", "request", "reply", "inode", "handle", "name", "list", "item", "next",
                        "prev", "begin", "end", "start", "stop", "uint64_t", "char", "true", "false", "nil", "case",
                        "switch", "break", "default", "sizeof", "memcpy", "assert", "(x)", "[i]", "=", "+", "->", "==", "&&"]
    static let extensions = ["c", "h", "swift", "py", "md", "txt", "json", "rs"]
    static let lineEnds = [";", " {", "", ")", ",", " }"]

    /// Creates the tree under `root` (which must not exist). Deterministic for a given `seed`.
    static func make(root: String, files: Int, seed: UInt64) throws -> SourceTreeSummary {
        var generator = SplitMix64(state: seed)
        let corpus = makeCorpus(&generator, bytes: 2 << 20)

        // Directories: random paths of 2-5 levels and all their prefixes, about 16 files each.
        var directories: [String] = []
        var known = Set<String>()
        var byDepth: [Int: [String]] = [:]
        let target = max(8, files / 16)
        while directories.count < target {
            let depth = generator.next(in: 2...5)
            var path = ""
            for level in 0..<depth {
                let names = levels[level]
                path += (path.isEmpty ? "" : "/") + names[generator.next(in: 0...(names.count - 1))]
                if known.insert(path).inserted {
                    directories.append(path)
                    byDepth[level + 1, default: []].append(path)
                }
            }
        }
        try Native.makeDirectories(root)
        for directory in directories { try Native.makeDirectories(root + "/" + directory) }

        // Files: a directory depth chosen uniformly in 2...5 (so files are 3 to 6 deep), then a
        // directory of that depth.
        var summary = SourceTreeSummary(files: 0, directories: directories.count, bytes: 0, filesByDepth: [:], filesBySize: [:],
                                        needleFiles: 0, largestFile: 0)
        let needleBytes = Array(needle.utf8)
        try corpus.withUnsafeBytes { raw in
            var scratch = [UInt8](repeating: 0, count: 1 << 20)
            for index in 0..<files {
                let depth = generator.next(in: 2...5)
                let candidates = byDepth[depth] ?? directories
                let directory = candidates[generator.next(in: 0...(candidates.count - 1))]
                let roll = generator.next(in: 0...99)
                var cumulative = 0
                var sizeClass = sizeClasses[0]
                for candidate in sizeClasses {
                    cumulative += candidate.percent
                    if roll < cumulative { sizeClass = candidate; break }
                }
                let size = generator.next(in: sizeClass.range)
                let start = generator.next(in: 0...(raw.count - size - 1))
                let name = words[generator.next(in: 0...19)] + "_" + padded(index, 5) + "." + extensions[generator.next(in: 0...(extensions.count - 1))]
                let path = root + "/" + directory + "/" + name
                if generator.next(in: 0...49) == 0 {
                    // Copy, and put the needle at a random place.
                    scratch.withUnsafeMutableBytes { buffer in
                        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + size)]))
                        let at = generator.next(in: 0...(size - needleBytes.count))
                        for (offset, byte) in needleBytes.enumerated() { buffer[at + offset] = byte }
                    }
                    try scratch.withUnsafeBytes { try Native.writeFile(path, UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
                    summary.needleFiles += 1
                } else {
                    try Native.writeFile(path, UnsafeRawBufferPointer(rebasing: raw[start..<(start + size)]))
                }
                summary.files += 1
                summary.bytes += Int64(size)
                summary.largestFile = max(summary.largestFile, size)
                summary.filesByDepth[String(directory.split(separator: "/").count + 1), default: 0] += 1
                summary.filesBySize[sizeClass.name, default: 0] += 1
            }
        }
        return summary
    }

    /// `bytes` of code-like text lines (no needle in it).
    static func makeCorpus(_ generator: inout SplitMix64, bytes: Int) -> [UInt8] {
        var corpus: [UInt8] = []
        corpus.reserveCapacity(bytes + 256)
        while corpus.count < bytes {
            corpus += [UInt8](repeating: 0x20, count: 4 * generator.next(in: 0...3))
            for word in 0..<generator.next(in: 2...10) {
                if word > 0 { corpus.append(0x20) }
                corpus += Array(words[generator.next(in: 0...(words.count - 1))].utf8)
            }
            corpus += Array(lineEnds[generator.next(in: 0...(lineEnds.count - 1))].utf8)
            corpus.append(0x0A)
        }
        return corpus
    }

    /// A file of `mebibytes` MiB of pseudo-random bytes (each MiB stamped with its index, so no
    /// two blocks are equal), written in 1 MiB calls.
    static func makeLargeFile(_ path: String, mebibytes: Int, seed: UInt64) throws {
        var generator = SplitMix64(state: seed)
        var block = generator.bytes(1 << 20)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError.system("open", path) }
        defer { close(fd) }
        for index in 0..<mebibytes {
            withUnsafeBytes(of: UInt64(index).littleEndian) { stamp in
                for (offset, byte) in stamp.enumerated() { block[offset] = byte }
            }
            try block.withUnsafeBytes { try Native.writeAll(fd, $0, path) }
        }
    }
}
