import AgentRuntime
import ArgumentParser
import Foundation
import GRDB
import StateStore
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The sizes of a `runtime` run.
struct RuntimeBenchConfiguration: Codable {
    var quick: Bool
    /// Timed repetitions per figure (after one untimed warm-up).
    var repetitions: Int
    /// Transcript appends per timed repetition (workload `append`).
    var appends: Int
    /// Sessions of the listed agent (workload `list`).
    var sessions: Int
    /// One-turn runs per timed repetition, each in a fresh session (workload `turn`).
    var turns: Int
    /// Runs in one session for the growing-history figure (workload `turn`).
    var historyTurns: Int
    /// Characters of the appended message's text (the stored event is about 300 bytes).
    var messageCharacters: Int
}

/// `openclaw-bench runtime`.
struct RuntimeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "The agent runtime: transcript appends, sessions list and per-turn overhead, against the legacy files and a direct HTTP call.",
        discussion: """
            Workloads: append (durable transcript appends, one ~300-byte event per transaction, vs one \
            JSONL line per write(2), with and without fdatasync; also with OPENCLAW_SQLITE_SYNCHRONOUS=full), \
            list (sessions list of 10k sessions vs parsing and sorting a legacy sessions.json, with and \
            without stat() of every transcript; and the `openclaw sessions list --json` process when \
            openclaw is beside this executable), turn (AgentRuntime.run of a one-turn text answer from \
            the local fake provider vs the same HTTP request sent directly with AsyncHTTPClient).
            Each figure is the median of several timed repetitions after one untimed warm-up run; \
            both sides run in this process, on the same disk.
            """
    )

    @OptionGroup var common: BenchOptions

    @Option(help: ArgumentHelp("Where to create the temporary run directory (default $TMPDIR or /tmp).", valueName: "dir"))
    var directory: String?

    @Option(help: ArgumentHelp("Transcript appends per repetition (default 5000, --quick 1000).", valueName: "n"))
    var appends: Int?

    @Option(help: ArgumentHelp("Sessions of the listed agent (default 10000, --quick 2000).", valueName: "n"))
    var sessions: Int?

    @Option(help: ArgumentHelp("One-turn runs per repetition (default 200, --quick 50).", valueName: "n"))
    var turns: Int?

    @Option(help: ArgumentHelp("The openclaw CLI timed by `list` (default: the openclaw beside this executable; skipped if missing).", valueName: "path"))
    var openclaw: String?

    static let allWorkloads = ["append", "list", "turn"]

    func validate() throws {
        try common.check(workloads: Self.allWorkloads)
        if let appends, appends < 10 { throw ValidationError("--appends must be at least 10") }
        if let sessions, sessions < 100 { throw ValidationError("--sessions must be at least 100") }
        if let turns, turns < 1 { throw ValidationError("--turns must be at least 1") }
    }

    func run() async throws {
        let configuration = RuntimeBenchConfiguration(
            quick: common.quick,
            repetitions: common.repetitionCount,
            appends: appends ?? (common.quick ? 1000 : 5000),
            sessions: sessions ?? (common.quick ? 2000 : 10_000),
            turns: turns ?? (common.quick ? 50 : 200),
            historyTurns: 50,
            messageCharacters: 85
        )
        let selected = common.selected(from: Self.allWorkloads)
        let executable = openclaw ?? OpenClawCLI.sibling()
        let cli: String? = access(executable, X_OK) == 0 ? executable : nil
        if cli == nil { Log.info("no openclaw executable at \(executable): the CLI rows of `list` are skipped") }
        if let forced = ProcessInfo.processInfo.environment["OPENCLAW_SQLITE_SYNCHRONOUS"] {
            Log.info("ignoring OPENCLAW_SQLITE_SYNCHRONOUS=\(forced) from the environment: the benchmark sets it itself")
            unsetenv("OPENCLAW_SQLITE_SYNCHRONOUS")
        }
        let base = directory ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = URL(fileURLWithPath: base).standardizedFileURL.path + "/openclaw-runtime-bench-\(getpid())-\(SystemClock.milliseconds() / 1000)"
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
        let run = try RuntimeBenchRun(root: root, configuration: configuration, openclaw: cli)
        let started = Stopwatch.nanoseconds()
        let loadBefore = BenchOptions.loadAverage()
        try await run.execute(selected)
        run.machine.loadAverage = "1/5/15-min load average \(loadBefore) at start, \(BenchOptions.loadAverage()) at end (\(run.machine.cpus) CPUs)"
        let report = RuntimeBenchReport(
            command: command, date: ISO8601DateFormatter().string(from: Date()), machine: run.machine,
            configuration: configuration, rows: run.rows, notes: run.notes,
            totalSeconds: Double(Stopwatch.nanoseconds() - started) / 1e9)
        print(common.json ? try report.json() : report.text())
    }
}

/// One line of the `runtime` results table.
struct RuntimeResultRow: Codable, TableRow {
    var id: String
    var workload: String
    /// The openclaw figure (SQLite state, `AgentRuntime`), as printed.
    var openclaw: String
    /// The alternative's figure for the same work (legacy files, a direct HTTP call), as printed.
    var alternative: String
    var ratio: Double?
    var ratioMeaning: String
    var goal: String
    var met: Bool?
    var repetitions: Int
    /// The raw numbers (seconds, events per second, bytes), for scripts.
    var values: [String: Double] = [:]
    var notes: [String] = []
}

/// Everything a `runtime` run produced.
struct RuntimeBenchReport: Codable, JSONReport {
    var command: String
    var date: String
    var machine: MachineInfo
    var configuration: RuntimeBenchConfiguration
    var rows: [RuntimeResultRow]
    var notes: [String]
    var totalSeconds: Double

    func text() -> String {
        var lines = ReportText.header("runtime", date: date, command: command, machine: machine)
        lines.append("disk:    \(machine.filesystem)   (state directories and legacy files in the same directory)")
        lines.append("sqlite:  \(machine.sqliteVersion), journal_mode=\(machine.journalMode), synchronous=\(machine.synchronous) (\(machine.journalReason))")
        lines.append("load:    \(machine.loadAverage)")
        lines.append("method:  every figure is the median of \(configuration.repetitions) timed repetitions after 1 untimed warm-up run; "
                     + "openclaw and the alternative do the same work in this process (turn rows: the two sides alternate).")
        lines.append("ratios:  throughput rows openclaw/alternative rate, time rows alternative/openclaw time: > 1 means openclaw is faster. "
                     + "Turn rows are run/direct time; the overhead per turn is the difference.")
        lines += ReportText.table(rows, columns: ("openclaw", "alternative"), cells: { ($0.openclaw, $0.alternative) }, notes: notes, totalSeconds: totalSeconds)
        return lines.joined(separator: "\n")
    }

}

/// One run of `openclaw-bench runtime`: its directories, the results.
final class RuntimeBenchRun {
    let root: String
    let configuration: RuntimeBenchConfiguration
    /// The openclaw CLI, if there is one to time.
    let openclaw: String?
    /// The legacy files (JSONL transcripts, sessions.json), beside the state directories.
    let legacyRoot: String
    var machine: MachineInfo
    var rows: [RuntimeResultRow] = []
    var notes: [String] = []
    /// Numbers session keys and files across workloads.
    var sequence = 0

    /// The fake provider's API key, given to the runtime as `FAKE_API_KEY`.
    static let apiKey = "sk-openclaw-bench"
    /// Credentials come from here, not from the process environment or a `.env`.
    static let environment = RuntimeEnvironment(variables: ["FAKE_API_KEY": apiKey])

    var repetitions: Int { configuration.repetitions }

    init(root: String, configuration: RuntimeBenchConfiguration, openclaw: String?) throws {
        self.root = root
        self.configuration = configuration
        self.openclaw = openclaw
        legacyRoot = root + "/legacy"
        try Native.makeDirectories(legacyRoot)
        machine = MachineInfo.collect(directory: root)
        machine.sourceRevision = Self.revision()
        // The header describes the default state directory (the one `append` and `turn` use).
        let database = try Self.openRuntime(root + "/state").agentDatabase
        let (version, mode) = try database.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?", try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?")
        }
        machine.sqliteVersion = version
        machine.journalMode = mode
        machine.synchronous = try Self.synchronous(database)
        machine.journalReason = database.journalReason
        Log.info("state database \(database.path): sqlite \(version), journal_mode=\(mode), synchronous=\(machine.synchronous)")
    }

    func execute(_ selected: Set<String>) async throws {
        if selected.contains("append") { try appendWorkload() }
        if selected.contains("list") { try listWorkload() }
        if selected.contains("turn") { try await turnWorkload() }
    }

    /// The agent `main` of the state root `path`, with the benchmark's credentials.
    static func openRuntime(_ path: String) throws -> AgentRuntime {
        try AgentRuntime.open(state: StateDirectory(root: path), agent: AgentID.main, environment: environment)
    }

    /// `PRAGMA synchronous` of the writer connection (the one that commits).
    static func synchronous(_ database: StateDatabase) throws -> String {
        let value = try database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        return [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"][value] ?? String(value)
    }

    /// `git rev-parse` of the package, with a mark when the sources the benchmark runs differ from it.
    static func revision() -> String {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard let head = try? runProcess("/usr/bin/git", ["-C", package, "rev-parse", "--short", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return "unknown" }
        let dirty = (try? runProcess("/usr/bin/git", ["-C", package, "status", "--porcelain", "--", "Sources/AgentRuntime", "Sources/Storage",
                                                        "Sources/StateStore", "Sources/VFS", "Sources/CLI", "Sources/FakeProvider", "Sources/Bench"])) ?? ""
        return dirty.isEmpty ? head : head + " + uncommitted changes in " + Set(dirty.split(separator: "\n").compactMap {
            $0.split(separator: " ").last?.split(separator: "/").prefix(2).joined(separator: "/")
        }).sorted().joined(separator: ", ")
    }

    func nextNumber() -> Int {
        sequence += 1
        return sequence
    }

    // MARK: - 1. append

    func appendWorkload() throws {
        let count = configuration.appends
        let label = Format.count(count)
        let text = LegacyTranscript.messageText(characters: configuration.messageCharacters)
        let draft = TranscriptEventDraft(type: "message", fields: ["message": ["role": "user", "content": [["type": "text", "text": .string(text)]]]])

        /// `count` appends per repetition, each to a fresh session created outside the timing.
        func sqlite(_ runtime: AgentRuntime, _ name: String) throws -> (sample: Sample, eventBytes: Int) {
            var sessionID = ""
            let sample = try measure(repetitions: repetitions, setup: {
                sessionID = try runtime.sessions.openSession(SessionKey("agent:main:append-\(name)-\(nextNumber())")).sessionID
            }) {
                for _ in 0..<count { try runtime.sessions.append(sessionID, draft) }
            }
            let frontier = try runtime.sessions.frontier(sessionID)
            guard frontier.eventCount == Int64(count + 1) else {
                throw BenchError("session \(sessionID) holds \(frontier.eventCount) events, expected \(count + 1)")
            }
            let event = try runtime.sessions.events(sessionID, after: 0, limit: 1).first
            return (sample, event?.json.jsonText.utf8.count ?? -1)
        }

        /// `count` JSONL lines per repetition, each to a fresh file (opened with its header outside the timing).
        func legacy(sync: Bool) throws -> (sample: Sample, lineBytes: Int) {
            var fd: Int32 = -1
            var path = ""
            var lineBytes = 0
            var parent = ""
            let sample = try measure(repetitions: repetitions, setup: {
                path = legacyRoot + "/append-\(sync ? "fdatasync" : "write")-\(nextNumber()).jsonl"
                fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw BenchError.system("open", path) }
                parent = try LegacyTranscript.appendHeader(fd, path: path)
            }, teardown: {
                close(fd)
                fd = -1
            }) {
                for _ in 0..<count {
                    (parent, lineBytes) = try LegacyTranscript.appendMessage(fd, path: path, parent: parent, role: "user", text: text, sync: sync)
                }
            }
            let lines = try Data(contentsOf: URL(fileURLWithPath: path)).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            guard lines == count + 1 else { throw BenchError("\(path) has \(lines) lines, expected \(count + 1)") }
            return (sample, lineBytes)
        }

        let normal = try Self.openRuntime(root + "/state")
        let normalMode = try Self.synchronous(normal.agentDatabase)
        Log.info("1. append \(label) events: SessionStore.append, synchronous=\(normalMode)")
        let sqliteNormal = try sqlite(normal, "normal")
        Log.info("   \(Self.rate(count, sqliteNormal.sample.median))")
        Log.info("1. append \(label) events: JSONL write(2)")
        let write = try legacy(sync: false)
        Log.info("   \(Self.rate(count, write.sample.median))")
        Log.info("1. append \(label) events: JSONL write(2) + fdatasync")
        let datasync = try legacy(sync: true)
        Log.info("   \(Self.rate(count, datasync.sample.median))")

        // OPENCLAW_SQLITE_SYNCHRONOUS is read when a database opens: set it for this one only.
        setenv("OPENCLAW_SQLITE_SYNCHRONOUS", "full", 1)
        let full: AgentRuntime
        do {
            defer { unsetenv("OPENCLAW_SQLITE_SYNCHRONOUS") }
            full = try Self.openRuntime(root + "/state-full")
        }
        let fullMode = try Self.synchronous(full.agentDatabase)
        Log.info("1. append \(label) events: SessionStore.append with OPENCLAW_SQLITE_SYNCHRONOUS=full (synchronous=\(fullMode))")
        let sqliteFull = try sqlite(full, "full")
        Log.info("   \(Self.rate(count, sqliteFull.sample.median))")

        let sizes = "the stored event is \(sqliteNormal.eventBytes) bytes of JSON (event_json), the JSONL line \(write.lineBytes) bytes with its newline"
        var first = rateRow(id: "append", workload: "durable transcript append, one ~300-byte message event per transaction, \(label) per repetition: "
                            + "`SessionStore.append` (WAL, synchronous=\(normalMode)) vs one JSONL line per write(2), no fsync (both survive a process crash)",
                            openclaw: sqliteNormal.sample, alternative: write.sample, count: count, goal: "- (informational)", met: nil)
        first.notes.append(sizes + "; each side builds the event (new id, parent id, timestamp) and encodes it as JSON per append. "
                           + "The JSONL file stays open (O_APPEND), the cheapest legacy form; the session or file is created before the timing.")
        rows.append(first)
        var second = rateRow(id: "append-vs-fdatasync", workload: "same `SessionStore.append` (synchronous=\(normalMode)) vs JSONL write(2) + fdatasync per line "
                             + "(the nearest legacy form a user keeps transcripts with)",
                             openclaw: sqliteNormal.sample, alternative: datasync.sample, count: count, goal: ">= 1.5x",
                             met: datasync.sample.median / sqliteNormal.sample.median >= 1.5)
        second.notes.append("not like for like: with synchronous=NORMAL a commit reaches the WAL file but is fsync'ed only at checkpoints, so the last commits "
                            + "can be lost on power loss (never on a process crash); row \(rows.count + 2) compares the power-loss durable forms.")
        rows.append(second)
        var third = rateRow(id: "append-full", workload: "`SessionStore.append` with OPENCLAW_SQLITE_SYNCHRONOUS=full (synchronous=\(fullMode), WAL fsync'ed at every commit) "
                            + "vs JSONL write(2) + fdatasync per line (both survive power loss)",
                            openclaw: sqliteFull.sample, alternative: datasync.sample, count: count, goal: "-", met: nil)
        third.notes.append("a second state directory opened after setenv(OPENCLAW_SQLITE_SYNCHRONOUS=full); PRAGMA synchronous on its writer reads \(fullMode).")
        rows.append(third)
    }

    // MARK: - 2. list

    func listWorkload() throws {
        let count = configuration.sessions
        let label = Format.count(count)
        let listRoot = root + "/state-list"
        let legacySessions = legacyRoot + "/sessions"
        let importDirectory = listRoot + "/agents/main/sessions"

        Log.info("2. list: writing a legacy sessions.json with \(label) entries and \(label) transcripts (header + 3 events) twice: "
                 + "the legacy side, and the copy `Doctor.fix()` imports")
        var layout = LegacySessionsLayout(count: count, seed: 11)
        let writeSeconds = try Stopwatch.time {
            try layout.write(to: legacySessions)
            try layout.write(to: importDirectory)
        }
        Log.info(String(format: "   written in %.2f s (%@ of transcripts, sessions.json %@ each time)", writeSeconds,
                        Format.mebibytes(kib: Int(layout.transcriptBytes / 1024)), Format.mebibytes(kib: Int(layout.indexBytes / 1024))))
        Log.info("2. list: Doctor(state:).fix(): one transaction imports the \(label) sessions")
        var fixed: DoctorReport?
        let importSeconds = Stopwatch.time { fixed = Doctor(state: StateDirectory(root: listRoot)).fix() }
        guard let report = fixed, let imported = report.imports.first(where: { $0.source.kind == "sessions" }), imported.status == "imported",
              imported.items == count else {
            let imports = fixed?.imports.map { "\($0.status) \($0.items) \($0.message ?? "")" } ?? []
            throw BenchError("the legacy import did not import \(count) sessions: \(imports) \(fixed?.problems ?? [])")
        }
        Log.info(String(format: "   imported in %.2f s: %@", importSeconds, imported.message ?? ""))
        notes.append(String(format: "list: the %@ sessions (header + 3 events each) were built through the public API by writing a legacy sessions.json and "
                            + "%@ .jsonl transcripts (%.2f s, for both copies) and importing one copy with `Doctor(state:).fix()`, one transaction "
                            + "plus verification and bookkeeping (%.2f s); the other copy is the legacy side.", label, label, writeSeconds, importSeconds))

        let runtime = try Self.openRuntime(listRoot)
        let newest = layout.newest
        Log.info("2. list: sessions.list() of \(label) sessions")
        let all = try measure(repetitions: repetitions) {
            let sessions = try runtime.sessions.list()
            guard sessions.count == count, sessions.first?.key.value == newest, sessions.first?.frontier.eventCount == 4 else {
                throw BenchError("sessions.list() returned \(sessions.count) sessions starting with \(sessions.first?.key.value ?? "none"), expected \(count) starting with \(newest)")
            }
        }
        Log.info("   \(Format.time(all.median))")
        Log.info("2. list: sessions.list(limit: 50)")
        let limited = try measure(repetitions: repetitions) {
            let sessions = try runtime.sessions.list(limit: 50)
            guard sessions.count == 50, sessions.first?.key.value == newest else { throw BenchError("sessions.list(limit: 50) returned \(sessions.count) sessions") }
        }
        Log.info("   \(Format.time(limited.median))")
        let index = legacySessions + "/sessions.json"
        Log.info("2. list: legacy: parse sessions.json (JSONSerialization) and sort")
        let parse = try measure(repetitions: repetitions) {
            let entries = try LegacySessionsLayout.list(index: index, statDirectory: nil, limit: nil)
            guard entries == count else { throw BenchError("sessions.json listed \(entries) sessions") }
        }
        Log.info("   \(Format.time(parse.median))")
        Log.info("2. list: legacy: parse, sort and stat() every transcript")
        let parseStat = try measure(repetitions: repetitions) {
            let entries = try LegacySessionsLayout.list(index: index, statDirectory: legacySessions, limit: nil)
            guard entries == count else { throw BenchError("sessions.json listed \(entries) sessions") }
        }
        Log.info("   \(Format.time(parseStat.median))")
        Log.info("2. list: legacy: parse, sort and stat() the 50 newest transcripts")
        let parseStat50 = try measure(repetitions: repetitions) {
            let entries = try LegacySessionsLayout.list(index: index, statDirectory: legacySessions, limit: 50)
            guard entries == 50 else { throw BenchError("sessions.json listed \(entries) sessions") }
        }
        Log.info("   \(Format.time(parseStat50.median))")

        var first = timeRow(id: "list", workload: "sessions list of \(label) sessions, newest first, in process: `runtime.sessions.list()` "
                            + "vs legacy: read sessions.json, parse (JSONSerialization), sort by updatedAt",
                            openclaw: all, alternative: parse, goal: "- (informational)", met: nil)
        first.notes.append("`list()` returns more than the legacy index holds: per session its current session id, event count, token totals and model "
                           + "(one SQL query joining session_nodes and session_windows, ordered by the updated_at_ms index).")
        rows.append(first)
        var second = timeRow(id: "list-stat", workload: "same `sessions.list()` vs legacy: parse + sort + stat() each of the \(label) .jsonl transcripts "
                             + "(their sizes, as the legacy `sessions list` needed)",
                             openclaw: all, alternative: parseStat, goal: ">= 1.0x (no slower)", met: parseStat.median / all.median >= 1.0)
        second.notes.append("stat() of files whose inodes are cached (they were just written); a cold cache makes the legacy side slower.")
        rows.append(second)
        rows.append(timeRow(id: "list-50", workload: "`sessions.list(limit: 50)` vs legacy: parse + sort all \(label) entries, stat() the 50 newest transcripts",
                            openclaw: limited, alternative: parseStat50, goal: "-", met: nil))

        guard let openclaw else {
            notes.append("list: no openclaw executable beside openclaw-bench: the CLI rows were skipped "
                         + "(build it with `swift build -c release --scratch-path .build-bench --product openclaw`, or pass --openclaw).")
            return
        }
        Log.info("2. list: `openclaw --version` (process start)")
        let version = try measure(repetitions: repetitions) { try runProcess(openclaw, ["--version"]) }
        Log.info("   \(Format.time(version.median))")
        for limit in [nil, 50] as [Int?] {
            var arguments = ["sessions", "list", "--json", "--state", listRoot]
            if let limit { arguments += ["--limit", String(limit)] }
            Log.info("2. list: `openclaw \(arguments.joined(separator: " "))`")
            var output = ""
            let process = try measure(repetitions: repetitions) { output = try runProcess(openclaw, arguments) }
            let listed = ((try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any])?["count"] as? Int
            guard listed == (limit ?? count) else { throw BenchError("`openclaw \(arguments.joined(separator: " "))` listed \(listed.map(String.init) ?? "?") sessions") }
            Log.info("   \(Format.time(process.median)) (\(output.utf8.count) bytes of JSON)")
            var row = RuntimeResultRow(
                id: limit == nil ? "list-cli" : "list-cli-50",
                workload: "the CLI process: `openclaw sessions list --json\(limit.map { " --limit \($0)" } ?? "") --state DIR` (\(label) sessions), wall time per call "
                    + "(informational; the alternative is the process-start floor)",
                openclaw: Format.time(process.median) + " per call", alternative: "`openclaw --version`: " + Format.time(version.median),
                ratio: nil, ratioMeaning: "-", goal: "-", met: nil, repetitions: repetitions,
                values: ["openclaw_seconds": process.median, "version_seconds": version.median, "output_bytes": Double(output.utf8.count),
                         "openclaw_min_seconds": process.minimum, "openclaw_max_seconds": process.maximum])
            if limit == nil {
                row.notes.append("spawned with Foundation's Process from this process, stdout read through a pipe (\(output.utf8.count) bytes of JSON); "
                                 + "the call opens both databases (schema checks) before listing.")
            }
            rows.append(row)
        }
    }

    // MARK: - Rows

    static func rate(_ count: Int, _ seconds: Double) -> String {
        String(format: "%.0f events/s (%@/event)", Double(count) / seconds, Format.time(seconds / Double(count)))
    }

    /// Throughput rows: ratio = openclaw rate / alternative rate.
    func rateRow(id: String, workload: String, openclaw: Sample, alternative: Sample, count: Int, goal: String, met: Bool?) -> RuntimeResultRow {
        RuntimeResultRow(id: id, workload: workload, openclaw: Self.rate(count, openclaw.median), alternative: Self.rate(count, alternative.median),
                         ratio: alternative.median / openclaw.median, ratioMeaning: "openclaw/alternative rate", goal: goal, met: met,
                         repetitions: repetitions,
                         values: ["openclaw_seconds": openclaw.median, "alternative_seconds": alternative.median, "events": Double(count),
                                  "openclaw_events_per_second": Double(count) / openclaw.median,
                                  "alternative_events_per_second": Double(count) / alternative.median,
                                  "openclaw_min_seconds": openclaw.minimum, "openclaw_max_seconds": openclaw.maximum,
                                  "alternative_min_seconds": alternative.minimum, "alternative_max_seconds": alternative.maximum])
    }

    /// Time rows: ratio = alternative time / openclaw time.
    func timeRow(id: String, workload: String, openclaw: Sample, alternative: Sample, goal: String, met: Bool?) -> RuntimeResultRow {
        RuntimeResultRow(id: id, workload: workload, openclaw: Format.time(openclaw.median), alternative: Format.time(alternative.median),
                         ratio: alternative.median / openclaw.median, ratioMeaning: "alternative/openclaw time", goal: goal, met: met,
                         repetitions: repetitions,
                         values: ["openclaw_seconds": openclaw.median, "alternative_seconds": alternative.median,
                                  "openclaw_min_seconds": openclaw.minimum, "openclaw_max_seconds": openclaw.maximum,
                                  "alternative_min_seconds": alternative.minimum, "alternative_max_seconds": alternative.maximum])
    }
}

/// The legacy transcript format: one JSON object per line, appended.
enum LegacyTranscript {
    /// A message text of `characters` ASCII characters.
    static func messageText(characters: Int) -> String {
        let sentence = "Please read notes.md and list the open questions it contains, one per line, without commentary. "
        return String(String(repeating: sentence, count: characters / sentence.count + 1).prefix(characters))
    }

    /// ISO 8601 in UTC with milliseconds, as transcript events carry it.
    static func iso8601(milliseconds: Int64) -> String { RuntimeClock.iso8601(milliseconds: milliseconds) }

    static func now() -> Int64 { RuntimeClock.milliseconds() }

    /// The JSON line of `object` (sorted keys, as the runtime stores events), with its newline.
    static func line(_ object: [String: Any]) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    static func write(_ fd: Int32, path: String, _ data: Data, sync: Bool) throws {
        try data.withUnsafeBytes { try Native.writeAll(fd, $0, path) }
        if sync, fdatasync(fd) != 0 { throw BenchError.system("fdatasync", path) }
    }

    /// Appends a session header; returns its id.
    static func appendHeader(_ fd: Int32, path: String) throws -> String {
        let id = UUID().uuidString.lowercased()
        try write(fd, path: path, try line(["type": "session", "version": 1, "id": id, "timestamp": iso8601(milliseconds: now())]), sync: false)
        return id
    }

    /// What the legacy runtime did per event: build it, encode it, append one line (and with
    /// `sync`, fdatasync). Returns the new event's id and the line's size.
    static func appendMessage(_ fd: Int32, path: String, parent: String, role: String, text: String, sync: Bool) throws -> (id: String, bytes: Int) {
        let id = UUID().uuidString.lowercased()
        let event: [String: Any] = [
            "type": "message", "id": id, "parentId": parent, "timestamp": iso8601(milliseconds: now()),
            "message": ["role": role, "content": [["type": "text", "text": text]]],
        ]
        let data = try line(event)
        try write(fd, path: path, data, sync: sync)
        return (id, data.count)
    }
}

/// The legacy sessions layout: `sessions.json` ({key: {sessionId, updatedAt}}) beside one
/// `<sessionId>.jsonl` transcript per session (a header and 3 message events).
struct LegacySessionsLayout {
    let count: Int
    let seed: UInt64
    /// Sizes of the last layout written.
    var indexBytes: Int64 = 0
    var transcriptBytes: Int64 = 0

    init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    static let base: Int64 = 1_764_000_000_000

    /// The session key, session id and updatedAt of session `index` (deterministic).
    func session(_ index: Int) -> (key: String, id: String, updatedAt: Int64) {
        var generator = SplitMix64(state: seed &+ UInt64(index) &* 0x1_0000_0001)
        let a = generator.next()
        let b = generator.next()
        let hex = String(format: "%016llx%016llx", a, b)
        let characters = Array(hex)
        let id = String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-" + String(characters[12..<16]) + "-"
            + String(characters[16..<20]) + "-" + String(characters[20..<32])
        // Spread over 30 days, unrelated to the key order.
        let updatedAt = Self.base - Int64(generator.next() % (30 * 86_400_000))
        return ("agent:main:s" + padded(index, 5), id, updatedAt)
    }

    /// The key of the most recently updated session.
    var newest: String {
        var best = session(0)
        for index in 1..<count {
            let candidate = session(index)
            if candidate.updatedAt > best.updatedAt || (candidate.updatedAt == best.updatedAt && candidate.key < best.key) { best = candidate }
        }
        return best.key
    }

    /// Writes sessions.json and the transcripts into `directory` (created).
    mutating func write(to directory: String) throws {
        try Native.makeDirectories(directory)
        var index: [String: Any] = [:]
        var transcripts: Int64 = 0
        for number in 0..<count {
            let (key, id, updatedAt) = session(number)
            index[key] = ["sessionId": id, "updatedAt": updatedAt]
            let created = updatedAt - 60_000
            var lines = Data()
            lines.append(try LegacyTranscript.line(["type": "session", "version": 1, "id": id, "timestamp": LegacyTranscript.iso8601(milliseconds: created)]))
            var parent = id
            for (offset, role) in ["user", "assistant", "user"].enumerated() {
                let eventID = String(id.prefix(24)) + String(format: "%012d", offset)
                var message: [String: Any] = ["role": role, "content": [["type": "text", "text": LegacyTranscript.messageText(characters: 85)]]]
                if role == "assistant" { message["usage"] = ["input": 120, "output": 40] }
                lines.append(try LegacyTranscript.line([
                    "type": "message", "id": eventID, "parentId": parent,
                    "timestamp": LegacyTranscript.iso8601(milliseconds: created + Int64(offset + 1) * 20_000), "message": message,
                ]))
                parent = eventID
            }
            let path = directory + "/" + id + ".jsonl"
            try lines.withUnsafeBytes { try Native.writeFile(path, $0) }
            transcripts += Int64(lines.count)
        }
        let data = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
        try data.withUnsafeBytes { try Native.writeFile(directory + "/sessions.json", $0) }
        indexBytes = Int64(data.count)
        transcriptBytes = transcripts
    }

    /// The legacy `sessions list`: read and parse sessions.json, sort by updatedAt (newest
    /// first), keep `limit`, and with `statDirectory` stat() each kept transcript for its size.
    /// Returns the number of sessions listed.
    static func list(index: String, statDirectory: String?, limit: Int?) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw BenchError("\(index) is not a JSON object") }
        var entries: [(key: String, sessionID: String, updatedAt: Int64, size: Int64)] = []
        entries.reserveCapacity(object.count)
        for (key, value) in object {
            guard let entry = value as? [String: Any], let id = entry["sessionId"] as? String else { throw BenchError("\(index): bad entry \(key)") }
            entries.append((key, id, (entry["updatedAt"] as? NSNumber)?.int64Value ?? 0, -1))
        }
        entries.sort { $0.updatedAt != $1.updatedAt ? $0.updatedAt > $1.updatedAt : $0.key < $1.key }
        if let limit, entries.count > limit { entries.removeSubrange(limit...) }
        if let statDirectory {
            for position in entries.indices {
                let path = statDirectory + "/" + entries[position].sessionID + ".jsonl"
                var info = stat()
                guard stat(path, &info) == 0 else { throw BenchError.system("stat", path) }
                entries[position].size = Int64(info.st_size)
            }
        }
        return entries.count
    }
}
