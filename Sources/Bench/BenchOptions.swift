import ArgumentParser
import Foundation

/// The options every benchmark command takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Small sizes, for a smoke run.")
    var quick = false

    @Flag(help: "Print the results as JSON on stdout (progress stays on stderr).")
    var json = false

    @Option(help: ArgumentHelp("Timed repetitions per figure (default 5, --quick 3).", valueName: "n"))
    var repetitions: Int?

    @Option(help: ArgumentHelp("Comma-separated workloads to run (default all; see the overview).", valueName: "list"))
    var only: String?

    @Flag(help: "Keep the temporary run directory.")
    var keep = false

    /// Rejects unknown workload names and a repetition count below 1.
    func check(workloads: [String]) throws {
        for name in (only ?? "").split(separator: ",") where !workloads.contains(String(name)) {
            throw ValidationError("unknown workload '\(name)'; use \(workloads.joined(separator: ","))")
        }
        if let repetitions, repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
    }

    /// The timed repetitions per figure.
    var repetitionCount: Int { repetitions ?? (quick ? 3 : 5) }

    /// The workloads to run.
    func selected(from workloads: [String]) -> Set<String> {
        Set(only.map { $0.split(separator: ",").map(String.init) } ?? workloads)
    }

    /// The 1, 5 and 15-minute load averages, as /proc/loadavg gives them.
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }
}
