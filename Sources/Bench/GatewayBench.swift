import AgentRuntime
import ArgumentParser
import FakeProvider
import Foundation
import Gateway
import Histogram
import Logging
import ServiceLifecycle
import StateStore
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The sizes of a `gateway` run.
struct GatewayBenchConfiguration: Codable {
    var quick: Bool
    /// Timed rounds of concurrent runs (after one untimed warm-up round).
    var rounds: Int
    /// Runs in flight at once in a round (workload `runs`).
    var concurrentRuns: Int
    /// WebSocket connections the runs of a round are spread over (round robin).
    var runConnections: Int
    /// Runs one at a time per side, for the unloaded latency (workload `runs`).
    var sequentialRuns: Int
    /// Pieces (stream chunks) of the long answer of workload `events`.
    var eventPieces: Int
    /// Timed runs of the long answer per connection count (after one warm-up).
    var eventRepetitions: Int
    /// Connections watching the long run in the fan-out figure.
    var watchers: Int
    /// Idle connections held open (workload `idle`).
    var idleConnections: Int
    /// Seconds over which the CPU time at idle is measured.
    var idleSeconds: Double
    /// Requests in flight at once against `/v1/chat/completions` (workload `openai`).
    var loadConcurrency: Int
    /// Seconds of load per side.
    var loadSeconds: Double
    /// `wrk` or `swift` (an AsyncHTTPClient loop in this process).
    var loadGenerator: String
}

/// `openclaw-bench gateway`.
struct GatewayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "The WebSocket gateway: added latency of concurrent runs, events per second, idle connections, /v1/chat/completions under load.",
        discussion: """
            Workloads: runs (200 chat.send at once over WebSocket, each in its own session, against the \
            same 200 streamed provider requests sent directly, and the same 200 runs through \
            AgentRuntime.run in process: p50/p99 per run and to the first delta), events (agent + chat \
            events per second of one long streamed answer to 1 connection and to 10 watching connections, \
            against the runtime's own event rate for the same answer), idle (1,000 idle connections held \
            by a child process: the gateway's resident memory per connection and its CPU at idle), openai \
            (POST /v1/chat/completions at fixed concurrency with wrk or an AsyncHTTPClient loop, against \
            the same load sent to the fake provider directly). The gateway runs in this process on \
            127.0.0.1 (port 0) with the local fake provider as agent main's model.
            """
    )

    @OptionGroup var common: BenchOptions

    @Option(help: ArgumentHelp("Where to create the temporary run directory (default $TMPDIR or /tmp).", valueName: "dir"))
    var directory: String?

    @Option(help: ArgumentHelp("Runs at once per round of `runs` (default 200, --quick 50).", valueName: "n"))
    var concurrentRuns: Int?

    @Option(help: ArgumentHelp("WebSocket connections the runs of a round are spread over (default 1).", valueName: "n"))
    var runConnections: Int = 1

    @Option(help: ArgumentHelp("Pieces of the long streamed answer of `events` (default 2000, --quick 500).", valueName: "n"))
    var eventPieces: Int?

    @Option(help: ArgumentHelp("Idle connections of `idle` (default 1000, --quick 100).", valueName: "n"))
    var idleConnections: Int?

    @Option(help: ArgumentHelp("Seconds of CPU measurement at idle (default 10, --quick 3).", valueName: "s"))
    var idleSeconds: Double?

    @Option(help: ArgumentHelp("Requests in flight at once in `openai` (default 32).", valueName: "n"))
    var loadConcurrency: Int = 32

    @Option(help: ArgumentHelp("Seconds of load per side in `openai` (default 10, --quick 3).", valueName: "s"))
    var loadSeconds: Double?

    @Option(help: ArgumentHelp("Load generator of `openai`: auto (wrk when /usr/bin/wrk exists), wrk or swift.", valueName: "name"))
    var loadGenerator: String = "auto"

    static let allWorkloads = ["runs", "events", "idle", "openai"]

    func validate() throws {
        try common.check(workloads: Self.allWorkloads)
        if let concurrentRuns, concurrentRuns < 1 { throw ValidationError("--concurrent-runs must be at least 1") }
        if runConnections < 1 { throw ValidationError("--run-connections must be at least 1") }
        if let eventPieces, eventPieces < 10 { throw ValidationError("--event-pieces must be at least 10") }
        if let idleConnections, idleConnections < 1 { throw ValidationError("--idle-connections must be at least 1") }
        if let idleSeconds, idleSeconds <= 0 { throw ValidationError("--idle-seconds must be positive") }
        if loadConcurrency < 1 { throw ValidationError("--load-concurrency must be at least 1") }
        if let loadSeconds, loadSeconds <= 0 { throw ValidationError("--load-seconds must be positive") }
        guard ["auto", "wrk", "swift"].contains(loadGenerator) else { throw ValidationError("--load-generator is auto, wrk or swift") }
        if loadGenerator == "wrk", access(WrkLoad.path, X_OK) != 0 {
            throw ValidationError("no wrk at \(WrkLoad.path): install it with `apt-get install wrk`, or use --load-generator swift")
        }
    }

    func run() async throws {
        let generator = loadGenerator == "auto" ? (access(WrkLoad.path, X_OK) == 0 ? "wrk" : "swift") : loadGenerator
        let configuration = GatewayBenchConfiguration(
            quick: common.quick,
            rounds: common.repetitionCount,
            concurrentRuns: concurrentRuns ?? (common.quick ? 50 : 200),
            runConnections: runConnections,
            sequentialRuns: common.quick ? 30 : 200,
            eventPieces: eventPieces ?? (common.quick ? 500 : 2000),
            eventRepetitions: common.repetitionCount,
            watchers: 10,
            idleConnections: idleConnections ?? (common.quick ? 100 : 1000),
            idleSeconds: idleSeconds ?? (common.quick ? 3 : 10),
            loadConcurrency: loadConcurrency,
            loadSeconds: loadSeconds ?? (common.quick ? 3 : 10),
            loadGenerator: generator
        )
        let selected = common.selected(from: Self.allWorkloads)
        let base = directory ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = URL(fileURLWithPath: base).standardizedFileURL.path + "/openclaw-gateway-bench-\(getpid())-\(SystemClock.milliseconds() / 1000)"
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
        let run = GatewayBenchRun(root: root, configuration: configuration)
        let started = Stopwatch.nanoseconds()
        let loadBefore = BenchOptions.loadAverage()
        try await run.execute(selected)
        run.machine.loadAverage = "1/5/15-min load average \(loadBefore) at start, \(BenchOptions.loadAverage()) at end (\(run.machine.cpus) CPUs)"
        let report = GatewayBenchReport(
            command: command, date: ISO8601DateFormatter().string(from: Date()), machine: run.machine,
            configuration: configuration, rows: run.rows, notes: run.notes,
            totalSeconds: Double(Stopwatch.nanoseconds() - started) / 1e9)
        print(common.json ? try report.json() : report.text())
    }
}

/// One line of the `gateway` results table.
struct GatewayResultRow: Codable, TableRow {
    var id: String
    var workload: String
    /// The gateway's figure, as printed.
    var gateway: String
    /// The baseline's figure for the same work (the provider alone, the runtime alone), as printed.
    var baseline: String
    var ratio: Double?
    var ratioMeaning: String
    var goal: String
    var met: Bool?
    /// Timed rounds or repetitions behind the figures.
    var repetitions: Int
    /// The raw numbers (seconds, events per second, bytes), for scripts.
    var values: [String: Double] = [:]
    var notes: [String] = []
}

/// Everything a `gateway` run produced.
struct GatewayBenchReport: Codable, JSONReport {
    var command: String
    var date: String
    var machine: MachineInfo
    var configuration: GatewayBenchConfiguration
    var rows: [GatewayResultRow]
    var notes: [String]
    var totalSeconds: Double

    func text() -> String {
        var lines = ReportText.header("gateway", date: date, command: command, machine: machine)
        lines.append("load:    \(machine.loadAverage)")
        lines.append("method:  the gateway, its clients, the runtime and the fake provider share this process (the idle connections' clients run in a "
                     + "child process); latencies are percentiles (HdrHistogram) over all timed rounds, after 1 untimed warm-up round, the sides "
                     + "alternating round by round.")
        lines.append("ratios:  latency rows gateway/baseline, rate rows gateway/baseline rate; the goals are differences or absolute bounds, "
                     + "as the issue states them.")
        lines += ReportText.table(rows, columns: ("gateway", "baseline"), cells: { ($0.gateway, $0.baseline) }, notes: notes, totalSeconds: totalSeconds)
        return lines.joined(separator: "\n")
    }
}

/// One run of `openclaw-bench gateway`.
final class GatewayBenchRun {
    let root: String
    let configuration: GatewayBenchConfiguration
    var machine: MachineInfo
    var rows: [GatewayResultRow] = []
    var notes: [String] = []

    /// What the fake model answers by default (the reply of `runs`), as in `runtime`'s turn rows.
    static let replyText = RuntimeBenchRun.replyText
    static let userMessage = RuntimeBenchRun.userMessage

    init(root: String, configuration: GatewayBenchConfiguration) {
        self.root = root
        self.configuration = configuration
        machine = MachineInfo.collect(directory: root)
        machine.sourceRevision = Self.revision()
    }

    func execute(_ selected: Set<String>) async throws {
        GatewayLimits.raiseFileLimit()
        Log.info("starting the fake provider and the gateway (127.0.0.1, port 0)")
        let live = try await InProcessGateway.start(root: root + "/state")
        do {
            Log.info("gateway at \(live.url), fake provider at \(live.fake.baseURL)")
            // Idle first: the resident memory it measures is then the least disturbed by what
            // the other workloads allocated and freed.
            if selected.contains("idle") { try await idleWorkload(live) }
            if selected.contains("runs") { try await runsWorkload(live) }
            if selected.contains("events") { try await eventsWorkload(live) }
            if selected.contains("openai") { try await openAIWorkload(live) }
        } catch {
            await live.stop()
            throw error
        }
        await live.stop()
    }

    /// `git rev-parse` of the package, with a mark when the sources the benchmark runs differ from it.
    static func revision() -> String {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard let head = try? runProcess("/usr/bin/git", ["-C", package, "rev-parse", "--short", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines),
              !head.isEmpty else { return "unknown" }
        let dirty = (try? runProcess("/usr/bin/git", ["-C", package, "status", "--porcelain", "--", "Sources/AgentRuntime", "Sources/Gateway",
                                                        "Sources/StateStore", "Sources/Storage", "Sources/FakeProvider", "Sources/Bench"])) ?? ""
        return dirty.isEmpty ? head : head + " + uncommitted changes"
    }

    /// A signed duration: `+1.2 ms`, `-35.0 µs`.
    static func signed(_ seconds: Double) -> String { RuntimeBenchRun.signed(seconds) }

    /// A rate with its unit.
    static func rate(_ perSecond: Double, _ unit: String) -> String {
        perSecond >= 10_000 ? String(format: "%.1fk %@/s", perSecond / 1000, unit) : String(format: "%.0f %@/s", perSecond, unit)
    }
}

/// Latencies in nanoseconds, 1 ns to 100 s at 3 significant digits (HdrHistogram).
struct LatencyHistogram: Sendable {
    private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(nanoseconds: UInt64) {
        histogram.record(max(1, min(nanoseconds, 100_000_000_000)))
    }

    mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    var count: Int { Int(histogram.totalCount) }

    /// The value at `percentile` (0-100), in seconds.
    func seconds(at percentile: Double) -> Double {
        count == 0 ? .nan : Double(histogram.valueAtPercentile(percentile)) / 1e9
    }

    var p50: Double { seconds(at: 50) }
    var p99: Double { seconds(at: 99) }
}

/// The gateway as `openclaw gateway` runs it, in this process: an ``AgentHost`` on a fresh state
/// directory whose agent `main` answers with the local fake provider (`fake/m1`), a
/// ``GatewayServer`` on 127.0.0.1 port 0 with the OpenAI-compatible endpoint on.
final class InProcessGateway: Sendable {
    static let providerKey = "sk-openclaw-bench-gateway"

    let fake: FakeModelProvider
    let gateway: Gateway
    let token: String
    let port: Int
    private let server: Task<Void, any Error>
    private let group: GroupBox

    var url: String { "ws://127.0.0.1:\(port)" }
    var httpURL: String { "http://127.0.0.1:\(port)" }
    var host: AgentHost { gateway.host }

    private init(fake: FakeModelProvider, gateway: Gateway, token: String, port: Int, server: Task<Void, any Error>, group: GroupBox) {
        self.fake = fake
        self.gateway = gateway
        self.token = token
        self.port = port
        self.server = server
        self.group = group
    }

    final class GroupBox: Sendable {
        let group = Mutex<ServiceGroup?>(nil)
    }

    static func start(root: String) async throws -> InProcessGateway {
        let fake = try await FakeModelProvider.start()
        do {
            return try await start(root: root, fake: fake)
        } catch {
            await fake.stop()
            throw error
        }
    }

    private static func start(root: String, fake: FakeModelProvider) async throws -> InProcessGateway {
        fake.setDefaultReply(.text(GatewayBenchRun.replyText))
        let state = StateDirectory(root: root)
        var logger = Logger(label: "openclaw-bench.gateway")
        logger.logLevel = .error
        let host = try await AgentHost.open(state: state, logger: logger, environment: RuntimeEnvironment(variables: ["FAKE_API_KEY": providerKey]))
        let runtime = try await host.runtime(for: .main)
        try await host.offThread {
            try runtime.catalog.setProvider(try ModelProviderConfiguration(
                id: "fake", api: .openAICompletions, baseURL: fake.baseURL + "/v1", timeoutMilliseconds: 60_000, maxRetries: 0,
                models: [try ModelDescriptor(id: "m1", contextWindow: 8192, maxTokens: 512)]))
            try runtime.settings.setDefaultModel(ModelReference(provider: "fake", model: "m1"))
        }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.openAIHTTP = true
        let tokenValue = "bench-token-" + RuntimeClock.uuid()
        let gatewayToken = try GatewayToken.load(state: state, environment: ["OPENCLAW_GATEWAY_TOKEN": tokenValue])
        let gateway = Gateway(host: host, configuration: configuration, token: gatewayToken, logger: logger)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let box = GroupBox()
        let server = Task {
            defer { portSink.finish() }
            try await GatewayServer(gateway: gateway).run(signals: [], onListening: { _, port in
                portSink.yield(port)
                portSink.finish()
            }, onGroup: { group in box.group.withLock { $0 = group } })
        }
        var bound: Int?
        for await port in ports { bound = port }
        guard let bound else {
            _ = try await server.value
            throw BenchError("the gateway never listened")
        }
        return InProcessGateway(fake: fake, gateway: gateway, token: tokenValue, port: bound, server: server, group: box)
    }

    /// A graceful shutdown (the drain of SIGTERM), then the fake provider.
    func stop() async {
        if let group = group.group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
        _ = try? await server.value
        await fake.stop()
    }

    /// Opens the sessions of `keys` (outside the timing: a run would create them).
    func openSessions(_ keys: [SessionKey]) async throws {
        let runtime = try await host.runtime(for: .main)
        try await host.offThread {
            for key in keys { _ = try runtime.sessions.openSession(key) }
        }
    }
}

/// Process limits.
enum GatewayLimits {
    /// Raises the soft limit on open files to the hard one (1,000 connections need 2,000 ends).
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
            Log.info("setrlimit(RLIMIT_NOFILE) failed: \(String(cString: strerror(errno)))")
        }
    }

    static var fileLimit: UInt64 {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return UInt64(limit.rlim_cur)
    }
}
