import ArgumentParser
import Foundation
import GRDB
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The sizes of a `fuse` run.
struct FuseBenchConfiguration: Codable {
    var quick: Bool
    /// Timed repetitions per warm figure (after one untimed run of each side).
    var repetitions: Int
    /// Timed repetitions per cold figure (each after dropping the caches; no warm-up).
    var coldRepetitions: Int
    /// Files of the source-like tree.
    var files: Int
    /// The large file, in MiB.
    var largeMiB: Int
}

/// `openclaw-bench fuse`.
struct FuseBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuse",
        abstract: "Shell tools on a FUSE mount of the VFS against the same tree on the native filesystem.",
        discussion: """
            Builds a source-like tree (10k text files, most 1-16 KiB, some up to 1 MiB, 3-6 levels deep) \
            and a 256 MiB file on the native filesystem, imports them with `openclaw vfs import`, mounts \
            the workspace with `openclaw vfs mount --ns workspace --background`, and times the same \
            commands (/bin/sh, LC_ALL=C) in the mount and in the native tree: find, ls -lR, grep -r, \
            rg, cat of every file, tar, du -s, git grep and git status (on a copy of the tree committed \
            to git, imported with its .git), cat of the large file. Warm figures are the median of several timed runs after \
            one untimed run of each side, the two sides interleaved; cold figures drop the page, dentry \
            and inode caches (root) before each run. Always unmounts, also on an error or Ctrl-C.
            """
    )

    @OptionGroup var common: BenchOptions



    @Option(help: ArgumentHelp("Timed repetitions per cold figure (default 3).", valueName: "n"))
    var coldRepetitions: Int?

    @Option(help: ArgumentHelp("Where to create the temporary run directory (default ./.bench-tmp; not tmpfs: it holds the native tree).", valueName: "dir"))
    var directory: String?


    @Option(help: ArgumentHelp("Files of the tree (default 10000, --quick 1000).", valueName: "n"))
    var files: Int?

    @Option(help: ArgumentHelp("Size of the large file in MiB (default 256, --quick 32).", valueName: "mib"))
    var largeMib: Int?

    @Option(help: ArgumentHelp("The openclaw CLI to import and mount with (default: the openclaw beside this executable).", valueName: "path"))
    var openclaw: String?


    static let allWorkloads = ["find", "ls", "grep", "rg", "git", "tar", "du", "cat", "change", "cold"]

    func validate() throws {
        try common.check(workloads: Self.allWorkloads)
        if let coldRepetitions, coldRepetitions < 1 { throw ValidationError("--cold-repetitions must be at least 1") }
        if let files, files < 100 { throw ValidationError("--files must be at least 100") }
        if let largeMib, largeMib < 1 { throw ValidationError("--large-mib must be at least 1") }
    }

    func run() throws {
        let configuration = FuseBenchConfiguration(
            quick: common.quick,
            repetitions: common.repetitionCount,
            coldRepetitions: coldRepetitions ?? 3,
            files: files ?? (common.quick ? 1000 : 10_000),
            largeMiB: largeMib ?? (common.quick ? 32 : 256)
        )
        let selected = common.selected(from: Self.allWorkloads)
        let executable = openclaw ?? OpenClawCLI.sibling()
        guard access(executable, X_OK) == 0 else {
            throw ValidationError("no openclaw executable at \(executable); build it (swift build -c release --scratch-path .build-bench) or pass --openclaw")
        }
        let base = URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath + "/.bench-tmp").standardizedFileURL.path
        let root = base + "/openclaw-fuse-bench-\(getpid())-\(SystemClock.milliseconds() / 1000)"
        let cleanup = FuseCleanup()
        cleanup.setRoot(root, keep: common.keep)
        cleanup.installSignalHandlers()
        defer { cleanup.finish() }
        try Native.makeDirectories(root)
        Log.info("run directory \(root)")

        let command = "openclaw-bench " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let run = try FuseBenchRun(root: root, configuration: configuration, openclaw: executable, cleanup: cleanup)
        let started = Stopwatch.nanoseconds()
        let loadBefore = BenchOptions.loadAverage()
        try run.execute(selected)
        run.machine.loadAverage = "1/5/15-min load average \(loadBefore) at start, \(BenchOptions.loadAverage()) at end (\(run.machine.cpus) CPUs)"
        cleanup.unmount()
        let report = FuseBenchReport(
            command: command, date: ISO8601DateFormatter().string(from: Date()), machine: run.machine, mount: run.mountInfo,
            tools: run.tools, tree: run.tree, configuration: configuration, rows: run.rows, notes: run.notes,
            totalSeconds: Double(Stopwatch.nanoseconds() - started) / 1e9)
        print(common.json ? try report.json() : report.text())
    }
}

/// One line of the `fuse` results table.
struct FuseResultRow: Codable, TableRow {
    var id: String
    var workload: String
    /// The shell command, run in the tree (or the large file's directory) on each side.
    var command: String
    /// The FUSE figure, as printed.
    var fuse: String
    /// The native figure for the same command, as printed.
    var native: String
    /// FUSE/native time for time rows, FUSE/native throughput for throughput rows.
    var ratio: Double?
    var ratioMeaning: String
    var goal: String
    var met: Bool?
    var repetitions: Int
    var values: [String: Double] = [:]
    var notes: [String] = []

}

/// What the `fuse` run mounted.
struct FuseMountInfo: Codable {
    /// The /proc/mounts line of the mount (source, type, options).
    var procMounts: String = ""
    var mountSeconds: Double = 0
    var importSeconds: Double = 0
    var databaseBytes: Int64 = 0
    var mountPID: Int32?
    /// VmHWM / VmRSS of the mount process at the end of the run.
    var mountPeakKiB: Int = -1
    var mountRSSKiB: Int = -1
}

/// One run of `openclaw-bench fuse`.
final class FuseBenchRun {
    let root: String
    let configuration: FuseBenchConfiguration
    let nativeRoot: String
    let stateRoot: String
    let mountPoint: String
    let scratch: String
    let cli: OpenClawCLI
    let cleanup: FuseCleanup
    var machine: MachineInfo
    var mountInfo = FuseMountInfo()
    var tools: [String] = []
    var tree = SourceTreeSummary(files: 0, directories: 0, bytes: 0, filesByDepth: [:], filesBySize: [:], needleFiles: 0, largestFile: 0)
    var rows: [FuseResultRow] = []
    var notes: [String] = []

    var repetitions: Int { configuration.repetitions }
    /// The tree and the large file's directory, natively and in the mount.
    var nativeTree: String { nativeRoot + "/tree" }
    var fuseTree: String { mountPoint + "/tree" }
    var nativeLarge: String { nativeRoot + "/large" }
    var fuseLarge: String { mountPoint + "/large" }
    /// A copy of the tree committed to git, imported with its `.git`.
    var nativeRepo: String { nativeRoot + "/repo" }
    var fuseRepo: String { mountPoint + "/repo" }
    static let largeName = "big.bin"

    init(root: String, configuration: FuseBenchConfiguration, openclaw: String, cleanup: FuseCleanup) throws {
        self.root = root
        self.configuration = configuration
        self.cleanup = cleanup
        nativeRoot = root + "/native"
        stateRoot = root + "/state"
        mountPoint = root + "/mnt"
        scratch = root + "/scratch"
        for directory in [nativeRoot, mountPoint, scratch] { try Native.makeDirectories(directory) }
        cli = OpenClawCLI(executable: openclaw, scratch: scratch)
        machine = MachineInfo.collect(directory: root)
        machine.sourceRevision = Self.revision()
        machine.sqliteVersion = (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? "?"
    }

    /// `git rev-parse` of the package, with a mark when the sources the mount runs differ from it.
    static func revision() -> String {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard let head = try? runProcess("/usr/bin/git", ["-C", package, "rev-parse", "--short", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return "unknown" }
        let dirty = (try? runProcess("/usr/bin/git", ["-C", package, "status", "--porcelain", "--", "Sources/FuseMount", "Sources/CFuse3", "Sources/VFS",
                                                        "Sources/Storage", "Sources/StateStore", "Sources/CLI"])) ?? ""
        return dirty.isEmpty ? head : head + " + uncommitted changes in " + Set(dirty.split(separator: "\n").compactMap {
            $0.split(separator: " ").last?.split(separator: "/").prefix(2).joined(separator: "/")
        }).sorted().joined(separator: ", ")
    }

    func execute(_ selected: Set<String>) throws {
        try prepare(withRepository: selected.contains("git"))
        try sanityChecks()
        try warmWorkloads(selected)
        if selected.contains("cat") { try largeFile() }
        if selected.contains("change") { try changeVisibility() }
        // Last: they empty every cache.
        if selected.contains("cold") { try coldWorkloads(selected) }
        collectMountProcess()
    }

    // MARK: - Setup

    func prepare(withRepository: Bool) throws {
        let count = configuration.files
        Log.info("creating the native tree: \(count) files")
        let treeSeconds = try Stopwatch.time { tree = try SourceTree.make(root: nativeTree, files: count, seed: 2024) }
        Log.info("tree: " + tree.text + String(format: " (%.1f s)", treeSeconds))
        if withRepository {
            Log.info("committing a copy of the tree to git")
            try shell("""
                cp -a tree repo && cd repo && git init -q -b main . && git add -A && \
                GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost \
                git commit -q -m tree
                """, in: nativeRoot)
        }
        try Native.makeDirectories(nativeLarge)
        Log.info("creating the \(configuration.largeMiB) MiB file")
        try SourceTree.makeLargeFile(nativeLarge + "/" + Self.largeName, mebibytes: configuration.largeMiB, seed: 7)
        sync()

        Log.info("openclaw vfs import \(nativeRoot) / (workspace namespace)")
        mountInfo.importSeconds = try Stopwatch.time { try cli.run(["vfs", "import", nativeRoot, "/", "--state", stateRoot]) }
        sync()
        mountInfo.databaseBytes = Self.treeBytes(stateRoot)
        Log.info(String(format: "imported in %.1f s; state directory %.0f MiB", mountInfo.importSeconds, Double(mountInfo.databaseBytes) / 1_048_576))
        if let database = Self.findDatabase(stateRoot) {
            var configuration = Configuration()
            configuration.readonly = true
            if let queue = try? DatabaseQueue(path: database, configuration: configuration) {
                machine.journalMode = (try? queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }) ?? "?"
                machine.journalReason = "page size " + String((try? queue.read { try Int.fetchOne($0, sql: "PRAGMA page_size") }) ?? -1)
                    + ", the mount opens it read-only"
            }
        }

        Log.info("openclaw vfs mount \(mountPoint) --ns workspace --background")
        var output = ""
        mountInfo.mountSeconds = try Stopwatch.time {
            output = try cli.run(["vfs", "mount", mountPoint, "--ns", "workspace", "--state", stateRoot, "--background"])
        }
        mountInfo.mountPID = output.range(of: "pid ").flatMap { range in
            Int32(output[range.upperBound...].prefix { $0.isNumber })
        }
        cleanup.mounted(mountPoint, pid: mountInfo.mountPID, cli: cli)
        Log.info(output.trimmingCharacters(in: .whitespacesAndNewlines) + String(format: " in %.2f s", mountInfo.mountSeconds))
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        mountInfo.procMounts = mounts.split(separator: "\n").first { $0.split(separator: " ").dropFirst().first.map(String.init) == mountPoint }.map(String.init) ?? "?"
        guard mountInfo.procMounts.contains("fuse") else { throw BenchError("\(mountPoint) is not a FUSE mount after `openclaw vfs mount`: \(mountInfo.procMounts)") }

        for tool in ["find", "ls", "grep", "rg", "git", "tar", "du", "cat"] {
            if let line = try? Shell.output("\(tool) --version | head -1", in: "/", scratch: scratch) {
                tools.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    /// The same answers on both sides, before anything is timed (also the first, cold-ish pass).
    func sanityChecks() throws {
        Log.info("checking that both sides give the same answers (untimed)")
        func both(_ command: String, _ nativeDirectory: String, _ fuseDirectory: String) throws -> (native: String, fuse: String) {
            (try Shell.output(command, in: nativeDirectory, scratch: scratch), try Shell.output(command, in: fuseDirectory, scratch: scratch))
        }
        let listing = try both("find . | sort | md5sum; find . | wc -l", nativeTree, fuseTree)
        guard listing.native == listing.fuse else { throw BenchError("`find .` differs: native \(listing.native), FUSE \(listing.fuse)") }
        let matches = try both("grep -rl \(SourceTree.needle) . | sort | md5sum; grep -rl \(SourceTree.needle) . | wc -l", nativeTree, fuseTree)
        guard matches.native == matches.fuse else { throw BenchError("`grep -rl` differs: native \(matches.native), FUSE \(matches.fuse)") }
        let found = Int(matches.native.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? -1
        guard found == tree.needleFiles else { throw BenchError("grep found \(found) files, the tree has \(tree.needleFiles) with the string") }
        let archive = try both("tar cf - . | wc -c", nativeTree, fuseTree)
        let large = try both("md5sum \(Self.largeName)", nativeLarge, fuseLarge)
        guard large.native == large.fuse else { throw BenchError("the large file differs: native \(large.native), FUSE \(large.fuse)") }
        let usage = try both("du -s .", nativeTree, fuseTree)
        let entries = listing.native.split(separator: "\n").last.map(String.init) ?? "?"
        notes.append("checked before timing: `find .` lists the same \(entries) paths on both sides, `grep -rl` finds the same \(found) files, "
                     + "the \(configuration.largeMiB) MiB file has the same MD5; `tar cf - .` writes "
                     + "\(archive.native.trimmingCharacters(in: .whitespacesAndNewlines)) bytes natively and \(archive.fuse.trimmingCharacters(in: .whitespacesAndNewlines)) through FUSE"
                     + (archive.native == archive.fuse ? " (same)." : " (headers differ: owner, times or modes)."))
        notes.append("`du -s` reports \(usage.native.split(separator: "\t").first ?? "?") KiB natively (ext4 blocks) and \(usage.fuse.split(separator: "\t").first ?? "?") KiB through FUSE "
                     + "(st_blocks = size/512 rounded up): same work, different answers.")
    }

    // MARK: - Warm workloads

    /// Each side once untimed, then `repetitions` timed rounds alternating native and FUSE.
    func measurePair(native: () throws -> Void, fuse: () throws -> Void) throws -> (native: Sample, fuse: Sample) {
        try native()
        try fuse()
        var nativeSeconds: [Double] = []
        var fuseSeconds: [Double] = []
        for _ in 0..<repetitions {
            nativeSeconds.append(try Stopwatch.time(native))
            fuseSeconds.append(try Stopwatch.time(fuse))
        }
        return (Sample(seconds: nativeSeconds), Sample(seconds: fuseSeconds))
    }

    func shell(_ command: String, in directory: String) throws {
        try Shell.run(command, in: directory, stderr: scratch + "/stderr.txt")
    }

    func warmWorkloads(_ selected: Set<String>) throws {
        // Walks <= 1.3x; workloads that read every file <= 1.2x (issue 12).
        let statMinimal = "git -c core.checkStat=minimal -c core.trustctime=false status --porcelain > /dev/null"
        let workloads: [(key: String, id: String, command: String, label: String, maximum: Double?, inRepository: Bool, note: String?)] = [
            ("find", "find", "find . > /dev/null", "tree walk", 1.3, false, nil),
            ("ls", "ls-lR", "ls -lR > /dev/null", "tree walk + lstat of every entry", 1.3, false, nil),
            ("grep", "grep-r", "grep -r \(SourceTree.needle) . > /dev/null", "walk + read every file", 1.2, false,
             "GNU grep sees stdout is /dev/null and stops reading a file at its first match (as with -q per file); "
                + "\(tree.needleFiles) of \(tree.files) files match, once each, so nearly every byte is read."),
            ("rg", "rg", "rg -c \(SourceTree.needle) . > /dev/null", "walk + read every file, ripgrep's threads", 1.2, false, nil),
            ("cat", "cat-all", "find . -type f -exec cat {} + > /dev/null", "walk + open and read every file", 1.2, false, nil),
            ("tar", "tar-devnull", "tar cf /dev/null .", "walk + lstat; GNU tar does not read file contents when the archive is /dev/null", 1.3, false, nil),
            ("tar", "tar-pipe", "tar cf - . | cat > /dev/null", "walk + lstat + read every file", 1.2, false, nil),
            ("du", "du-s", "du -s > /dev/null", "walk + lstat", 1.3, false, nil),
            ("git", "git-grep", "git grep \(SourceTree.needle) > /dev/null", "the index + every tracked file", 1.2, true, nil),
            ("git", "git-status", "git status --porcelain > /dev/null", "the index + lstat of every tracked file", 1.2, true,
             "git's index records each file's inode number, ctime, uid and gid; `openclaw vfs import` gives the imported index the "
                + "mount's (GitIndexRefresh), so git finds every file clean by its stat and hashes none. The next row tells git to "
                + "compare only sizes and mtimes, as it had to before."),
            ("git", "git-status-minimal", statMinimal, "as above, with core.checkStat=minimal and core.trustctime=false", nil, true, nil),
        ]
        for workload in workloads where selected.contains(workload.key) {
            Log.info("warm: `\(workload.command)`: native vs FUSE")
            let before = requestCounts()
            let (nativeDirectory, fuseDirectory) = workload.inRepository ? (nativeRepo, fuseRepo) : (nativeTree, fuseTree)
            let (native, fuse) = try measurePair(native: { try shell(workload.command, in: nativeDirectory) },
                                                 fuse: { try shell(workload.command, in: fuseDirectory) })
            let sent = requestsPerRun(since: before, runs: repetitions + 1)
            var row = timeRow(id: workload.id, workload: "`\(workload.command)` (\(workload.label))", command: workload.command,
                              fuse: fuse, native: native, goal: workload.maximum.map { String(format: "<= %.1fx", $0) } ?? "-", maximum: workload.maximum)
            if let note = workload.note { row.notes.append(note) }
            row.notes.append("requests the kernel sent the mount per run (the first, cold-cache run included): " + sent)
            rows.append(row)
            Log.info("   native \(Format.time(native.median)), FUSE \(Format.time(fuse.median)) (\(Format.ratio(fuse.median / native.median)))")
        }
    }

    // MARK: - The large file

    func largeFile() throws {
        let mebibytes = configuration.largeMiB
        let command = "cat \(Self.largeName) > /dev/null"
        Log.info("warm: `\(command)` (\(mebibytes) MiB): native vs FUSE")
        let (native, fuse) = try measurePair(native: { try shell(command, in: nativeLarge) }, fuse: { try shell(command, in: fuseLarge) })
        var row = throughputRow(id: "cat-warm", workload: "`\(command)`, \(mebibytes) MiB, sequential, warm (page cache)", command: command,
                                fuse: fuse, native: native, goal: ">= 0.6x", minimum: 0.6)
        row.notes.append("warm: after the first read the kernel keeps the file's pages (an inode serves one content version, so its pages are kept across opens), "
                         + "so this mostly measures the page cache of the FUSE inode, not the mount process.")
        rows.append(row)
        Log.info("   native \(Format.time(native.median)), FUSE \(Format.time(fuse.median))")

        // Through the mount process: drop only the FUSE file's pages before each run; the
        // database file stays in the page cache.
        Log.info("`\(command)` with the FUSE file's pages dropped (fadvise DONTNEED) before each run: every byte through the mount process")
        let fuseFile = fuseLarge + "/" + Self.largeName
        var seconds: [Double] = []
        for round in 0...repetitions {
            try PageCache.dropFile(fuseFile)
            let time = try Stopwatch.time { try shell(command, in: fuseLarge) }
            if round > 0 { seconds.append(time) }
        }
        let uncached = Sample(seconds: seconds)
        var served = throughputRow(id: "cat-daemon", workload: "same, the FUSE file's pages dropped before each run (`posix_fadvise DONTNEED`; database file still in the page cache): every read served by the mount process; native figure is the warm one (informational)",
                                   command: command, fuse: uncached, native: native, goal: "-", minimum: nil)
        served.notes.append("the read path of the mount process itself (SQLite chunk reads + /dev/fuse replies), without disk I/O on either side.")
        rows.append(served)
        Log.info("   FUSE \(Format.time(uncached.median))")
        try uncheckedComparison(command: command, checked: uncached)
    }

    /// The cost of checking checksums on the mount: the `cat-daemon` reads again through a second
    /// mount of the same database with the check off (`OPENCLAW_VFS_VERIFY_CHECKSUMS=0`),
    /// alternating with the checked mount, run by run.
    func uncheckedComparison(command: String, checked: Sample) throws {
        let mountPoint = root + "/mnt-unchecked"
        try Native.makeDirectories(mountPoint)
        Log.info("openclaw vfs mount \(mountPoint) with OPENCLAW_VFS_VERIFY_CHECKSUMS=0 (the baseline of the check's cost)")
        try cli.run(["vfs", "mount", mountPoint, "--ns", "workspace", "--state", stateRoot, "--background"],
                    environment: ["OPENCLAW_VFS_VERIFY_CHECKSUMS": "0"])
        defer { _ = try? cli.run(["vfs", "umount", mountPoint]) }
        let uncheckedDirectory = mountPoint + "/large"
        let checkedFile = fuseLarge + "/" + Self.largeName
        let uncheckedFile = uncheckedDirectory + "/" + Self.largeName
        var checkedSeconds: [Double] = []
        var uncheckedSeconds: [Double] = []
        for round in 0...repetitions {
            try PageCache.dropFile(checkedFile)
            let checkedTime = try Stopwatch.time { try shell(command, in: fuseLarge) }
            try PageCache.dropFile(uncheckedFile)
            let uncheckedTime = try Stopwatch.time { try shell(command, in: uncheckedDirectory) }
            if round > 0 {
                checkedSeconds.append(checkedTime)
                uncheckedSeconds.append(uncheckedTime)
            }
        }
        let size = Double(configuration.largeMiB)
        let checkedSample = Sample(seconds: checkedSeconds)
        let uncheckedSample = Sample(seconds: uncheckedSeconds)
        func cell(_ sample: Sample) -> String { String(format: "%.0f MiB/s", size / sample.median) + " (\(Format.time(sample.median)))" }
        let ratio = uncheckedSample.median / checkedSample.median
        var row = FuseResultRow(id: "cat-daemon-verified", workload: "same reads through the mount process, checksums checked (FUSE column) vs a second mount with the check off (baseline column)",
                                command: command, fuse: cell(checkedSample), native: cell(uncheckedSample), ratio: ratio,
                                ratioMeaning: "checked/unchecked throughput", goal: ">= 0.95x (within 5%)", met: ratio >= 0.95,
                                repetitions: repetitions, values: ["checked_seconds": checkedSample.median, "unchecked_seconds": uncheckedSample.median])
        row.notes.append("the two mounts alternate run by run; the earlier cat-daemon row is \(cell(checked)).")
        rows.append(row)
        Log.info("   checked \(cell(checkedSample)), unchecked \(cell(uncheckedSample))")
    }

    // MARK: - Cold

    func coldWorkloads(_ selected: Set<String>) throws {
        guard PageCache.dropAll() else {
            notes.append("cold rows skipped: writing /proc/sys/vm/drop_caches failed (needs root).")
            return
        }
        let reps = configuration.coldRepetitions
        func cold(_ command: String, _ nativeDirectory: String, _ fuseDirectory: String) throws -> (native: Sample, fuse: Sample) {
            var nativeSeconds: [Double] = []
            var fuseSeconds: [Double] = []
            for _ in 0..<reps {
                PageCache.dropAll()
                nativeSeconds.append(try Stopwatch.time { try shell(command, in: nativeDirectory) })
                PageCache.dropAll()
                fuseSeconds.append(try Stopwatch.time { try shell(command, in: fuseDirectory) })
            }
            return (Sample(seconds: nativeSeconds), Sample(seconds: fuseSeconds))
        }
        let dropNote = "cold rows: `sync; echo 3 > /proc/sys/vm/drop_caches` before every run (page cache, dentries and inodes; for FUSE also the kernel's "
            + "FUSE entries and pages and the page cache of the database file; not SQLite's own page cache in the mount process). "
            + "\(reps) runs per side, interleaved, no warm-up. The disk is a virtual device: the host may cache it."
        notes.append(dropNote)
        // Cold walks and cold reads of every file: <= 2x (issue 12).
        let coldTree: [(key: String, id: String, command: String)] = [
            ("find", "find-cold", "find . > /dev/null"),
            ("grep", "grep-r-cold", "grep -r \(SourceTree.needle) . > /dev/null"),
            ("cat", "cat-all-cold", "find . -type f -exec cat {} + > /dev/null"),
        ]
        for workload in coldTree where selected.contains(workload.key) {
            Log.info("cold: `\(workload.command)`")
            let before = requestCounts()
            let (native, fuse) = try cold(workload.command, nativeTree, fuseTree)
            var row = timeRow(id: workload.id, workload: "`\(workload.command)`, COLD (caches dropped before each run)", command: workload.command,
                              fuse: fuse, native: native, goal: "<= 2.0x", maximum: 2.0)
            row.repetitions = reps
            row.notes.append("requests the kernel sent the mount per run: " + requestsPerRun(since: before, runs: reps))
            rows.append(row)
            Log.info("   native \(Format.time(native.median)), FUSE \(Format.time(fuse.median)) (\(Format.ratio(fuse.median / native.median)))")
        }
        if selected.contains("cat") {
            let command = "cat \(Self.largeName) > /dev/null"
            Log.info("cold: `\(command)`")
            let (native, fuse) = try cold(command, nativeLarge, fuseLarge)
            var row = throughputRow(id: "cat-cold", workload: "`\(command)`, \(configuration.largeMiB) MiB, COLD (caches dropped before each run)",
                                    command: command, fuse: fuse, native: native, goal: "-", minimum: nil)
            row.repetitions = reps
            rows.append(row)
            Log.info("   native \(Format.time(native.median)), FUSE \(Format.time(fuse.median))")
        }
    }

    // MARK: - Rows

    /// Time rows: ratio = FUSE time / native time (<= 1.3 meets the walk goal).
    func timeRow(id: String, workload: String, command: String, fuse: Sample, native: Sample, goal: String, maximum: Double?) -> FuseResultRow {
        let ratio = fuse.median / native.median
        return FuseResultRow(id: id, workload: workload, command: command, fuse: Format.time(fuse.median), native: Format.time(native.median),
                             ratio: ratio, ratioMeaning: "FUSE/native time", goal: goal, met: maximum.map { ratio <= $0 },
                             repetitions: repetitions,
                             values: ["fuse_seconds": fuse.median, "native_seconds": native.median,
                                      "fuse_min_seconds": fuse.minimum, "fuse_max_seconds": fuse.maximum,
                                      "native_min_seconds": native.minimum, "native_max_seconds": native.maximum])
    }

    /// Throughput rows: ratio = FUSE throughput / native throughput.
    func throughputRow(id: String, workload: String, command: String, fuse: Sample, native: Sample, goal: String, minimum: Double?) -> FuseResultRow {
        let size = Double(configuration.largeMiB)
        func cell(_ sample: Sample) -> String { String(format: "%.0f MiB/s", size / sample.median) + " (\(Format.time(sample.median)))" }
        let ratio = native.median / fuse.median
        return FuseResultRow(id: id, workload: workload, command: command, fuse: cell(fuse), native: cell(native), ratio: ratio,
                             ratioMeaning: "FUSE/native throughput", goal: goal, met: minimum.map { ratio >= $0 }, repetitions: repetitions,
                             values: ["fuse_seconds": fuse.median, "native_seconds": native.median, "mebibytes": size,
                                      "fuse_mib_per_second": size / fuse.median, "native_mib_per_second": size / native.median,
                                      "fuse_min_seconds": fuse.minimum, "fuse_max_seconds": fuse.maximum,
                                      "native_min_seconds": native.minimum, "native_max_seconds": native.maximum])
    }

    // MARK: - Helpers

    /// The mount's request counts so far, from its root's `user.openclaw.requests` xattr (read
    /// by python3: Glibc's module does not export `getxattr`).
    func requestCounts() -> [String: Double] {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import os, sys; sys.stdout.write(os.getxattr(sys.argv[1], 'user.openclaw.requests').decode())", mountPoint]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [:] }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// The requests sent since `before`, per run, non-zero kinds only, for a row's notes.
    func requestsPerRun(since before: [String: Double], runs: Int) -> String {
        let after = requestCounts()
        guard !after.isEmpty else { return "unavailable (no user.openclaw.requests on the mount)" }
        let kinds = after.keys.sorted().compactMap { kind -> String? in
            // GETXATTR includes the reads of the counts themselves.
            let delta = (after[kind] ?? 0) - (before[kind] ?? 0)
            guard delta > 0 else { return nil }
            return String(format: "%@ %.1f", kind, delta / Double(runs))
        }
        return kinds.isEmpty ? "none" : kinds.joined(separator: ", ")
    }

    func collectMountProcess() {
        guard let pid = mountInfo.mountPID, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return }
        func field(_ name: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { $0.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) } } ?? -1
        }
        mountInfo.mountPeakKiB = field("VmHWM")
        mountInfo.mountRSSKiB = field("VmRSS")
    }

    static func treeBytes(_ path: String) -> Int64 {
        var total: Int64 = 0
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            if lstat(path + "/" + relative, &info) == 0, info.st_mode & S_IFMT == S_IFREG { total += Int64(info.st_size) }
        }
        return total
    }

    static func findDatabase(_ path: String) -> String? {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return nil }
        var best: (path: String, size: Int64)?
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".sqlite") || relative.hasSuffix(".db") else { continue }
            var info = stat()
            if lstat(path + "/" + relative, &info) == 0, Int64(info.st_size) > (best?.size ?? -1) { best = (path + "/" + relative, Int64(info.st_size)) }
        }
        return best?.path
    }
}

/// Everything a `fuse` run produced.
struct FuseBenchReport: Codable, JSONReport {
    var command: String
    var date: String
    var machine: MachineInfo
    var mount: FuseMountInfo
    var tools: [String]
    var tree: SourceTreeSummary
    var configuration: FuseBenchConfiguration
    var rows: [FuseResultRow]
    var notes: [String]
    var totalSeconds: Double

    func text() -> String {
        var lines = ReportText.header("fuse", date: date, command: command, machine: machine)
        lines.append("disk:    \(machine.filesystem)   (native tree, state database and mount point in the same directory)")
        lines.append("mount:   \(mount.procMounts) (mounted in \(String(format: "%.2f", mount.mountSeconds)) s, pid \(mount.mountPID.map(String.init) ?? "?"))")
        lines.append("sqlite:  \(machine.sqliteVersion), journal_mode=\(machine.journalMode) (\(machine.journalReason))")
        lines.append("tree:    \(tree.text); plus one \(configuration.largeMiB) MiB file in a directory of its own")
        lines.append(String(format: "import:  `openclaw vfs import` of tree + large file in %.1f s; state directory %.0f MiB", mount.importSeconds, Double(mount.databaseBytes) / 1_048_576))
        lines.append("tools:   " + tools.joined(separator: "; "))
        lines.append("load:    \(machine.loadAverage)")
        lines.append("method:  each command runs as `/bin/sh -c 'cd DIR && COMMAND'` (LC_ALL=C), timed from the bench process; warm figures are the median of "
                     + "\(configuration.repetitions) timed runs after 1 untimed run of each side, native and FUSE runs alternating; "
                     + "cold figures the median of \(configuration.coldRepetitions) runs, each after dropping the caches.")
        lines.append("ratios:  time rows FUSE/native time (<= 1.3 meets the walk goal); throughput rows FUSE/native throughput (>= 0.6 meets the read goal).")
        var reportNotes = notes
        if mount.mountPeakKiB >= 0 {
            reportNotes.append("the mount process at the end of the run: peak RSS \(Format.mebibytes(kib: mount.mountPeakKiB)), RSS \(Format.mebibytes(kib: mount.mountRSSKiB)).")
        }
        lines += ReportText.table(rows, columns: ("FUSE", "native"), cells: { ($0.fuse, $0.native) }, notes: reportNotes, totalSeconds: totalSeconds)
        return lines.joined(separator: "\n")
    }

}
