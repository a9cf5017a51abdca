import ArgumentParser
import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `openclaw-bench`.
struct OpenClawBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openclaw-bench",
        abstract: "Benchmarks of openclaw against the native filesystem.",
        subcommands: [VFSBenchCommand.self, FuseBenchCommand.self, RuntimeBenchCommand.self, GatewayBenchCommand.self, ReplicaBenchCommand.self, DemoProviderCommand.self,
                      LargeFileChildCommand.self, GatewayIdleClientsCommand.self, DiagnoseCommand.self]
    )
}

/// The sizes of a run.
struct BenchConfiguration: Codable {
    var quick: Bool
    /// Timed repetitions per figure (after one warm-up).
    var repetitions: Int
    /// Files read, stat'ed and imported (workloads 1, 2, 6).
    var files: Int
    /// Directories those files are spread over.
    var directories: Int
    /// Entries of the listed directory (workloads 3, 4).
    var listingEntries: Int
    /// Listings per timed repetition (workloads 3, 4).
    var listingIterations: Int
    /// Entries of the small namespace of workload 4.
    var smallEntries: Int
    /// Entries of the big namespace of workload 4.
    var bigEntries: Int
    /// Single-file writes per timed repetition (workload 5).
    var durableWrites: Int
    /// The large file (workload 7).
    var largeMiB: Int
    var largeRepetitions: Int
}

/// `openclaw-bench vfs`.
struct VFSBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfs",
        abstract: "The VFS against the native filesystem of the same disk.",
        discussion: """
            Workloads: read (10k x 4 KiB readFile), stat (10k stat), ls (ls -l of 100 entries), \
            scale (that listing in a 1M- vs a 1k-entry namespace), durable (4 KiB single-file writes), \
            import (10k mixed files vs cp -r), large (256 MiB write/read and peak RSS, in child processes), \
            cli-ls (the `openclaw vfs ls -l` command on 100k entries vs /bin/ls -l).
            Each figure is the median of several timed repetitions after one untimed warm-up; the \
            native figure is the same work with POSIX calls on a directory beside the state database.
            """
    )

    @OptionGroup var common: BenchOptions



    @Option(help: ArgumentHelp("Where to create the temporary run directory (default $TMPDIR or /tmp).", valueName: "dir"))
    var directory: String?


    @Option(help: ArgumentHelp("Entries of the big namespace of the scale workload (default 1000000, --quick 20000).", valueName: "n"))
    var bigEntries: Int?

    @Option(help: ArgumentHelp("Size of the large file in MiB (default 256, --quick 32).", valueName: "mib"))
    var largeMib: Int?


    static let allWorkloads = ["read", "stat", "ls", "scale", "durable", "import", "large", "cli-ls"]

    func validate() throws {
        try common.check(workloads: Self.allWorkloads)
        if let bigEntries, bigEntries < 1000 { throw ValidationError("--big-entries must be at least 1000") }
        if let largeMib, largeMib < 1 { throw ValidationError("--large-mib must be at least 1") }
    }

    func run() throws {
        let configuration = BenchConfiguration(
            quick: common.quick,
            repetitions: common.repetitionCount,
            files: common.quick ? 1000 : 10_000,
            directories: common.quick ? 10 : 100,
            listingEntries: 100,
            listingIterations: common.quick ? 100 : 500,
            smallEntries: 1000,
            bigEntries: bigEntries ?? (common.quick ? 20_000 : 1_000_000),
            durableWrites: common.quick ? 100 : 500,
            largeMiB: largeMib ?? (common.quick ? 32 : 256),
            largeRepetitions: 3
        )
        let selected = common.selected(from: Self.allWorkloads)
        let base = directory ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = base + "/openclaw-bench-\(getpid())-\(SystemClock.milliseconds() / 1000)"
        try Native.makeDirectories(root)
        defer {
            if common.keep {
                Log.info("kept \(root)")
            } else {
                Log.info("removing \(root)")
                try? Native.removeTree(root)
            }
        }
        Log.info("run directory \(root)")
        let command = "openclaw-bench " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let run = try VFSBenchRun(root: root, configuration: configuration)
        let started = Stopwatch.nanoseconds()
        let loadBefore = BenchOptions.loadAverage()
        try run.execute(selected)
        run.machine.loadAverage = "1/5/15-min load average \(loadBefore) at start, \(BenchOptions.loadAverage()) at end (\(run.machine.cpus) CPUs)"
        let report = BenchReport(
            command: command, date: ISO8601DateFormatter().string(from: Date()), machine: run.machine,
            configuration: configuration, rows: run.rows, notes: run.notes,
            totalSeconds: Double(Stopwatch.nanoseconds() - started) / 1e9)
        print(common.json ? try report.json() : report.text())
    }
}

/// `openclaw-bench vfs-large`: the large-file workload in a process of its own, so that the peak
/// RSS it reports is not inflated by earlier workloads. Prints JSON.
struct LargeFileChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfs-large",
        abstract: "(internal) The large-file workload of `vfs`, run in a child process.",
        shouldDisplay: false
    )

    @Option var state: String
    @Option var native: String
    @Option var part: String
    @Option var mebibytes: Int
    @Option var repetitions: Int

    func run() throws {
        let result: LargeFileResult
        switch part {
        case "vfs": result = try LargeFile.runVFS(state: state, mebibytes: mebibytes, repetitions: repetitions)
        case "native": result = try LargeFile.runNative(directory: native, mebibytes: mebibytes, repetitions: repetitions)
        default: throw ValidationError("--part is vfs or native")
        }
        let encoder = JSONEncoder()
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}
