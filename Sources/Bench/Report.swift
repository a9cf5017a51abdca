import Foundation

/// One line of the results table.
struct ResultRow: Codable, TableRow {
    /// Short stable id (`read-10k`, `stat-10k`, ...).
    var id: String
    /// What was measured, in words.
    var workload: String
    /// The VFS figure, as printed.
    var vfs: String
    /// The native figure for the same work, as printed.
    var native: String
    /// The ratio, oriented as `ratioMeaning` says.
    var ratio: Double?
    /// How to read `ratio`, for example "native/VFS time (>1: VFS faster)".
    var ratioMeaning: String
    /// The goal, in words; "-" when the workload has none.
    var goal: String
    /// Whether the goal is met; nil when there is no goal.
    var met: Bool?
    /// Timed repetitions behind each figure (each after one untimed warm-up run).
    var repetitions: Int
    /// The raw numbers (seconds, bytes, KiB...), for scripts.
    var values: [String: Double] = [:]
    /// Anything notable about this row.
    var notes: [String] = []

}

/// What the results tables (`vfs`, `fuse`, `runtime`) render the same way.
protocol TableRow {
    var workload: String { get }
    var ratio: Double? { get }
    var ratioMeaning: String { get }
    var goal: String { get }
    var met: Bool? { get }
    var notes: [String] { get }
}

/// A report printed as JSON with `--json`.
protocol JSONReport: Encodable {}

extension JSONReport {
    /// The report as indented JSON, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// The parts every report prints alike.
enum ReportText {
    /// Title, command, source revision and machine.
    static func header(_ benchmark: String, date: String, command: String, machine: MachineInfo) -> [String] {
        [
            "openclaw-bench \(benchmark): \(date)",
            "command: \(command)",
            "source:  \(machine.sourceRevision) (git HEAD of the package at run time)",
            "machine: \(machine.cpus) CPUs (\(machine.cpuModel)), \(machine.memory) RAM, kernel \(machine.kernel)",
        ]
    }

    /// The Markdown table (`columns` name the two measured sides; `cells` gives their figures),
    /// the goals met, the notes (`notes` first, then each row's, numbered) and the run time.
    static func table<Row: TableRow>(_ rows: [Row], columns: (String, String), cells: (Row) -> (String, String), notes: [String], totalSeconds: Double) -> [String] {
        var lines = ["", "| # | workload | \(columns.0) | \(columns.1) | ratio | goal | met |", "|---|---|---|---|---|---|---|"]
        for (index, row) in rows.enumerated() {
            let (first, second) = cells(row)
            lines.append("| \(index + 1) | \(row.workload) | \(first) | \(second) | \(row.ratioText) | \(row.goal) | \(row.metText) |")
        }
        lines.append("")
        let goals = rows.filter { $0.met != nil }
        lines.append("goals met: \(goals.filter { $0.met == true }.count) of \(goals.count)")
        let allNotes = notes + rows.enumerated().flatMap { index, row in row.notes.map { "[\(index + 1)] \($0)" } }
        if !allNotes.isEmpty {
            lines.append("")
            lines.append("notes:")
            for note in allNotes { lines.append("- " + note) }
        }
        lines.append("")
        lines.append(String(format: "total run time: %.0f s", totalSeconds))
        return lines
    }
}

extension TableRow {
    var ratioText: String {
        guard let ratio else { return "-" }
        return Format.ratio(ratio) + " " + ratioMeaning
    }

    var metText: String {
        guard let met else { return "n/a" }
        return met ? "yes" : "**NO**"
    }
}

/// The machine the run happened on.
struct MachineInfo: Codable {
    var cpus: Int
    var cpuModel: String
    var memory: String
    var kernel: String
    /// `df -T` of the directory holding both the state database and the native files.
    var filesystem: String
    var sqliteVersion: String
    var journalMode: String
    var synchronous: String
    var journalReason: String
    /// The git revision of the sources at run time (the binary was built from the tree then).
    var sourceRevision: String
    /// /proc/loadavg when the run started and when it ended: other work on the machine skews the figures.
    var loadAverage: String = ""

    /// `git rev-parse` of the package this file belongs to, with `+changes` when the VFS,
    /// Storage or StateStore sources differ from it.
    static func revision() -> String {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard let head = try? runProcess("/usr/bin/git", ["-C", package, "rev-parse", "--short", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return "unknown" }
        let dirty = (try? runProcess("/usr/bin/git", ["-C", package, "status", "--porcelain", "--", "Sources/VFS", "Sources/Storage", "Sources/StateStore"])) ?? ""
        return dirty.isEmpty ? head : head + " + uncommitted changes"
    }

    static func collect(directory: String) -> MachineInfo {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
        let memKiB = ((try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? "").split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
        var name = utsname()
        uname(&name)
        let release = withUnsafePointer(to: &name.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        let df = (try? runProcess("/bin/df", ["-T", "-h", directory]))?.split(separator: "\n").last.map(String.init) ?? "unknown"
        return MachineInfo(cpus: cpus, cpuModel: model, memory: String(format: "%.1f GiB", Double(memKiB) / 1024 / 1024),
                           kernel: release, filesystem: df.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "),
                           sqliteVersion: "?", journalMode: "?", synchronous: "?", journalReason: "?", sourceRevision: revision())
    }
}

/// Everything a run produced.
struct BenchReport: Codable, JSONReport {
    var command: String
    var date: String
    var machine: MachineInfo
    var configuration: BenchConfiguration
    var rows: [ResultRow]
    var notes: [String]
    var totalSeconds: Double

    /// The human-readable report: a header, the Markdown table, the notes.
    func text() -> String {
        var lines = ReportText.header("vfs", date: date, command: command, machine: machine)
        lines.append("disk:    \(machine.filesystem)   (state database and native files in the same directory)")
        lines.append("sqlite:  \(machine.sqliteVersion), journal_mode=\(machine.journalMode), synchronous=\(machine.synchronous) (\(machine.journalReason))")
        lines.append("load:    \(machine.loadAverage)")
        lines.append("method:  every figure is the median of \(configuration.repetitions) timed repetitions after 1 untimed warm-up run "
                     + "(\(configuration.largeRepetitions) for the \(configuration.largeMiB) MiB file); VFS and native run the same work in this process.")
        lines.append("ratios:  time rows are native/VFS time and throughput rows VFS/native throughput: > 1 means the VFS is faster. "
                     + "Scaling rows are big/small time: 1.00 means no slowdown.")
        lines += ReportText.table(rows, columns: ("VFS", "native"), cells: { ($0.vfs, $0.native) }, notes: notes, totalSeconds: totalSeconds)
        return lines.joined(separator: "\n")
    }

}
