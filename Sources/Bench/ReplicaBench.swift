import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import GRDB
import Replication
import StateStore
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `openclaw-bench replica`: replication through Litestream to moto's S3 server on loopback.
struct ReplicaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica",
        abstract: "Replication to object storage: lag, restore time by size, adoption, idle requests.",
        discussion: """
            Starts moto's S3 server and replicating `openclaw gateway run` processes on loopback. Workloads: \
            lag (commit-to-restorable under a steady write load on other agents: a write acknowledged by the \
            gateway until its LTX file is listed in the bucket), restore (litestream restore of a 1, 50 and 500 MB \
            database against cp of the same file), adopt (100 small agents released by one gateway and adopted \
            by another, against litestream restore of each alone), idle (S3 requests per idle database per \
            minute, counted in moto's request log, and Litestream's memory per database).
            """
    )

    @OptionGroup var common: BenchOptions

    @Option(help: ArgumentHelp("The openclaw CLI (default: the openclaw beside this executable).", valueName: "path"))
    var openclaw: String?

    @Option(help: ArgumentHelp("Where to create the run directory (default $TMPDIR or /tmp).", valueName: "dir"))
    var directory: String?

    static let allWorkloads = ["lag", "restore", "adopt", "idle"]

    func validate() throws { try common.check(workloads: Self.allWorkloads) }

    func run() async throws {
        let executable = openclaw ?? OpenClawCLI.sibling()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no openclaw executable at \(executable); build it (swift build -c release --scratch-path .build-bench) or pass --openclaw")
        }
        let base = directory ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = base + "/openclaw-replica-bench-\(getpid())-\(SystemClock.milliseconds() / 1000)"
        try Native.makeDirectories(root)
        Log.info("run directory \(root)")
        let run = try await ReplicaBenchRun.start(root: root, openclaw: executable, quick: common.quick)
        let started = Stopwatch.nanoseconds()
        let loadBefore = BenchOptions.loadAverage()
        do {
            try await run.execute(common.selected(from: Self.allWorkloads))
        } catch {
            await run.stop()
            throw error
        }
        await run.stop()
        if !common.keep { try? Native.removeTree(root) }
        run.machine.loadAverage = "1/5/15-min load average \(loadBefore) at start, \(BenchOptions.loadAverage()) at end (\(run.machine.cpus) CPUs)"
        let report = ReplicaBenchReport(
            command: "openclaw-bench " + CommandLine.arguments.dropFirst().joined(separator: " "), date: ISO8601DateFormatter().string(from: Date()),
            machine: run.machine, rows: run.rows, notes: run.notes, totalSeconds: Double(Stopwatch.nanoseconds() - started) / 1e9)
        print(common.json ? try report.json() : report.text())
    }
}

/// The report of `replica` (its rows are the gateway benchmark's).
struct ReplicaBenchReport: Codable, JSONReport {
    var command: String
    var date: String
    var machine: MachineInfo
    var rows: [GatewayResultRow]
    var notes: [String]
    var totalSeconds: Double

    func text() -> String {
        var lines = ReportText.header("replica", date: date, command: command, machine: machine)
        lines.append("load:    \(machine.loadAverage)")
        lines.append("method:  moto's S3 server, replicating gateways (each with its Litestream 0.5.17) and this process on loopback; "
                     + "each baseline is measured beside its row in the same run.")
        lines += ReportText.table(rows, columns: ("replica", "baseline"), cells: { ($0.gateway, $0.baseline) }, notes: notes, totalSeconds: totalSeconds)
        return lines.joined(separator: "\n")
    }
}

/// A child process whose standard output and error go to files.
final class BenchChild: @unchecked Sendable {
    // @unchecked: the process is only started, signalled and read.
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ executable: String, _ arguments: [String], environment: [String: String], logs: String) throws {
        outputPath = logs + ".out"
        errorPath = logs + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Waits for a line of standard output that starts with `prefix`; returns its rest.
    func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line.dropFirst(prefix.count)) }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("\(process.executableURL?.path ?? "") did not print \(prefix.debugDescription): \(errors.suffix(1000))")
    }

    func stop(_ signal: Int32 = SIGTERM) async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// One run of `openclaw-bench replica`.
final class ReplicaBenchRun: @unchecked Sendable {
    // @unchecked: used from the bench's one task at a time.
    let root: String
    let openclaw: String
    let quick: Bool
    var machine: MachineInfo
    var rows: [GatewayResultRow] = []
    var notes: [String] = []
    let moto: BenchChild
    let endpoint: String
    let client: S3Client
    var gateways: [BenchChild] = []
    static let bucket = "openclaw-bench"
    static let token = "replica-bench-token"
    static let credentials = ["AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_REGION": "us-east-1"]

    private init(root: String, openclaw: String, quick: Bool, moto: BenchChild, port: Int) {
        self.root = root
        self.openclaw = openclaw
        self.quick = quick
        self.machine = MachineInfo.collect(directory: root)
        self.moto = moto
        self.endpoint = "http://127.0.0.1:\(port)"
        self.client = S3Client(bucket: Self.bucket, endpoint: endpoint, region: "us-east-1",
                               credentials: S3Credentials(accessKeyID: "bench", secretAccessKey: "bench-secret"))
    }

    static func start(root: String, openclaw: String, quick: Bool) async throws -> ReplicaBenchRun {
        let port = Int.random(in: 20_000...40_000)
        let moto = try BenchChild("/usr/bin/env", ["moto_server", "-H", "127.0.0.1", "-p", String(port)], environment: [:], logs: root + "/moto")
        let run = ReplicaBenchRun(root: root, openclaw: openclaw, quick: quick, moto: moto, port: port)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await run.client.createBucket()) != nil { return run }
            guard moto.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await moto.stop(SIGKILL)
        throw BenchError("moto_server did not start (pip install 'moto[server]'): \(moto.errors.suffix(500))")
    }

    func stop() async {
        for gateway in gateways { await gateway.stop() }
        await moto.stop(SIGKILL)
    }

    /// Starts a replicating gateway on a new state directory; returns it and its URL.
    func gateway(_ name: String, prefix: String) async throws -> (BenchChild, String) {
        let state = root + "/state-\(name)"
        let child = try BenchChild(openclaw, ["gateway", "run", "--port", "0", "--state", state, "--replica", "s3://\(Self.bucket)/\(prefix)",
                                              "--s3-endpoint", endpoint, "--host-id", name],
                                   environment: Self.credentials.merging(["OPENCLAW_GATEWAY_TOKEN": Self.token]) { $1 }, logs: root + "/gateway-\(name)")
        gateways.append(child)
        let url = try await child.waitForLine(startingWith: "gateway listening on ")
        return (child, url)
    }

    func execute(_ selected: Set<String>) async throws {
        if selected.contains("lag") { try await lag() }
        if selected.contains("restore") { try await restore() }
        if selected.contains("adopt") || selected.contains("idle") { try await adoptAndIdle(adopt: selected.contains("adopt"), idle: selected.contains("idle")) }
    }

    static func milliseconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1000 }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    // MARK: lag

    /// The highest transaction id in an agent's level-0 replica files.
    func replicaTXID(prefix: String, agent: String) async throws -> Int64 {
        let keys = try await client.list(prefix: "\(prefix)/agents/\(agent)/agent/openclaw-agent.sqlite/0000/")
        return keys.compactMap { key -> Int64? in
            guard let name = key.key.split(separator: "/").last, let max = name.dropLast(4).split(separator: "-").last else { return nil }
            return Int64(max, radix: 16)
        }.max() ?? 0
    }

    func lag() async throws {
        Log.info("lag: commit-to-restorable under a steady write load")
        let (_, url) = try await gateway("lag", prefix: "lag")
        let loaders = ["l1", "l2", "l3", "l4"]
        let samples = quick ? 30 : 100
        try await GatewayClient.connect(url: url, token: Self.token) { session in
            for agent in loaders + ["probe"] { _ = try await session.call("agents.adopt", params: ["agentId": .string(agent)]) }
        }
        let writes = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        let load = Task {
            try await GatewayClient.connect(url: url, token: Self.token) { session in
                while !stopping.load(ordering: .relaxed) {
                    for agent in loaders {
                        let n = writes.add(1, ordering: .relaxed).newValue
                        _ = try await session.call("agents.files.set", params: ["agentId": .string(agent), "name": "AGENTS.md", "content": .string("load \(n)")])
                    }
                    try await Task.sleep(for: .milliseconds(25))
                }
            }
        }
        let loadStarted = ContinuousClock.now
        // S3 is polled outside the gateway client's body: that body runs on the client's event loop.
        var measured: [(lag: Double, ack: Double)] = []
        for n in 0..<samples {
            let before = try await replicaTXID(prefix: "lag", agent: "probe")
            let started = ContinuousClock.now
            let acknowledged = try await GatewayClient.connect(url: url, token: Self.token) { session -> ContinuousClock.Instant in
                _ = try await session.call("agents.files.set", params: ["agentId": "probe", "name": "AGENTS.md", "content": .string("probe \(n)")])
                return ContinuousClock.now
            }
            while try await replicaTXID(prefix: "lag", agent: "probe") <= before {
                guard ContinuousClock.now - started < .seconds(30) else { throw BenchError("the probe's write \(n) was not replicated within 30 s") }
                try await Task.sleep(for: .milliseconds(10))
            }
            measured.append((Self.milliseconds(ContinuousClock.now - acknowledged), Self.milliseconds(acknowledged - started)))
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...250)))
        }
        let lags = measured.map(\.lag), acks = measured.map(\.ack)
        stopping.store(true, ordering: .relaxed)
        _ = try? await load.value
        let loadWrites = writes.load(ordering: .relaxed)
        let loadRate = Double(loadWrites) / max(0.001, Double((ContinuousClock.now - loadStarted) / .milliseconds(1)) / 1000)
        let p50 = Self.percentile(lags, 0.5), p99 = Self.percentile(lags, 0.99)
        rows.append(GatewayResultRow(
            id: "lag", workload: "commit-to-restorable lag, p50 / p99 (\(samples) probe writes, \(String(format: "%.0f", loadRate)) writes/s on 4 other agents)",
            gateway: String(format: "%.0f / %.0f ms", p50, p99), baseline: String(format: "connect+ack %.1f / %.1f ms", Self.percentile(acks, 0.5), Self.percentile(acks, 0.99)),
            ratio: nil, ratioMeaning: "", goal: "p99 <= 1000 ms (the loss window)", met: p99 <= 1000, repetitions: samples,
            values: ["lagP50Milliseconds": p50, "lagP99Milliseconds": p99, "loadWritesPerSecond": loadRate],
            notes: ["lag: from the gateway's answer to the write until a level-0 LTX file covering it is listed in the bucket (polled every 10 ms); "
                    + "the baseline column is the write's own time (a new connection and the acknowledged write)"]))
    }

    // MARK: restore

    func restore() async throws {
        let sizes = quick ? [1, 20] : [1, 50, 500]
        guard let settings = try? ReplicaSettings(replica: ReplicaLocation("s3://\(Self.bucket)/restore"), endpoint: endpoint, hostID: "bench") else {
            throw BenchError("cannot make the restore settings")
        }
        let litestream = try Litestream(settings: settings, environment: ProcessInfo.processInfo.environment.merging(Self.credentials) { $1 })
        for megabytes in sizes {
            Log.info("restore: a \(megabytes) MB database")
            let path = root + "/restore-\(megabytes).sqlite"
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
            }
            var generator = SystemRandomNumberGenerator()
            let chunk = 64 << 10
            let count = megabytes * 1_000_000 / chunk
            for batch in stride(from: 0, to: count, by: 100) {
                let rows = (batch..<min(count, batch + 100)).map { _ in Data((0..<chunk).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
                try await queue.write { db in
                    for data in rows { try db.execute(sql: "INSERT INTO blobs (data) VALUES (?)", arguments: [data]) }
                }
            }
            try await queue.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try queue.close()
            let key = "restore/size-\(megabytes)"
            let url = Litestream.replicaURL(settings: settings, key: key)
            try await litestream.run(["replicate", "-once", "-force-snapshot", path, url])
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
            var restores: [Double] = []
            var copies: [Double] = []
            for repetition in 0..<(quick ? 2 : 3) {
                let output = root + "/restored-\(megabytes)-\(repetition).sqlite"
                let started = ContinuousClock.now
                _ = try await litestream.restore(settings: settings, key: key, to: output)
                restores.append(Self.milliseconds(ContinuousClock.now - started))
                let copy = root + "/copy-\(megabytes)-\(repetition).sqlite"
                let copied = ContinuousClock.now
                _ = try runProcess("/bin/cp", [path, copy])
                copies.append(Self.milliseconds(ContinuousClock.now - copied))
                try? FileManager.default.removeItem(atPath: output)
                try? FileManager.default.removeItem(atPath: copy)
            }
            let restoreMedian = Self.percentile(restores, 0.5), copyMedian = Self.percentile(copies, 0.5)
            rows.append(GatewayResultRow(
                id: "restore-\(megabytes)", workload: "restore of a \(megabytes) MB database (\(Format.mebibytes(kib: Int(size / 1024))))",
                gateway: String(format: "%.0f ms", restoreMedian), baseline: String(format: "cp %.0f ms", copyMedian),
                ratio: restoreMedian / max(0.001, copyMedian), ratioMeaning: "restore/cp time", goal: "measured (the paper's input)", met: nil,
                repetitions: restores.count, values: ["restoreMilliseconds": restoreMedian, "copyMilliseconds": copyMedian, "bytes": Double(size)]))
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    // MARK: adopt and idle

    func adoptAndIdle(adopt: Bool, idle: Bool) async throws {
        let agents = (1...(quick ? 20 : 100)).map { String(format: "s%03d", $0) }
        Log.info("adopt: \(agents.count) small agents on gateway A")
        let (first, urlA) = try await gateway("a", prefix: "adopt")
        let baseRSS = litestreamRSS(of: root + "/state-a")
        try await GatewayClient.connect(url: urlA, token: Self.token) { session in
            for agent in agents {
                _ = try await session.call("agents.adopt", params: ["agentId": .string(agent)])
                _ = try await session.call("agents.files.set", params: ["agentId": .string(agent), "name": "AGENTS.md", "content": .string("agent \(agent)")])
            }
        }
        try await Task.sleep(for: .seconds(2))
        let fullRSS = litestreamRSS(of: root + "/state-a")
        if idle { try await idleRequests(agents: agents.count, baseRSS: baseRSS, fullRSS: fullRSS) }
        guard adopt else { return }
        try await GatewayClient.connect(url: urlA, token: Self.token) { session in
            for agent in agents { _ = try await session.call("agents.release", params: ["agentId": .string(agent)]) }
        }
        await first.stop()
        let (_, urlB) = try await gateway("b", prefix: "adopt")
        let started = ContinuousClock.now
        let each = try await GatewayClient.connect(url: urlB, token: Self.token) { session -> [Double] in
            var each: [Double] = []
            for agent in agents {
                let one = ContinuousClock.now
                let answer = try await session.call("agents.adopt", params: ["agentId": .string(agent)])
                guard answer["source"] == "restored" else { throw BenchError("\(agent) was not restored: \(answer)") }
                each.append(Self.milliseconds(ContinuousClock.now - one))
            }
            return each
        }
        let total = Self.milliseconds(ContinuousClock.now - started)
        // The baseline: litestream restore of the same agents alone, one at a time.
        guard let settings = try? ReplicaSettings(replica: ReplicaLocation("s3://\(Self.bucket)/adopt"), endpoint: endpoint, hostID: "bench") else {
            throw BenchError("cannot make the adopt settings")
        }
        let litestream = try Litestream(settings: settings, environment: ProcessInfo.processInfo.environment.merging(Self.credentials) { $1 })
        var restores: [Double] = []
        for agent in agents.prefix(quick ? 10 : 30) {
            let output = root + "/alone-\(agent).sqlite"
            let one = ContinuousClock.now
            _ = try await litestream.restore(settings: settings, key: settings.replica.agentReplicaKey(agent), to: output)
            restores.append(Self.milliseconds(ContinuousClock.now - one))
        }
        let p50 = Self.percentile(each, 0.5), restoreP50 = Self.percentile(restores, 0.5)
        rows.append(GatewayResultRow(
            id: "adopt", workload: "adopt \(agents.count) small agents one after another (released by another gateway), p50 per agent; total",
            gateway: String(format: "%.0f ms; %.1f s", p50, total / 1000), baseline: String(format: "restore %.0f ms", restoreP50),
            ratio: p50 / max(0.001, restoreP50), ratioMeaning: "adopt/restore time", goal: "measured (the paper's input)", met: nil,
            repetitions: agents.count, values: ["adoptP50Milliseconds": p50, "adoptTotalMilliseconds": total, "restoreP50Milliseconds": restoreP50],
            notes: ["adopt: lease taken, replica restored, interrupted runs ended, and Litestream replicating the agent (its first sync) before the answer"]))

        // A host lost: its agents adopted by another, several at a time (one connection each).
        try await GatewayClient.connect(url: urlB, token: Self.token) { session in
            for agent in agents { _ = try await session.call("agents.release", params: ["agentId": .string(agent)]) }
        }
        let (_, urlC) = try await gateway("c", prefix: "adopt")
        let parallel = 8
        let parallelStarted = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<parallel {
                let share = agents.enumerated().filter { $0.offset % parallel == worker }.map(\.element)
                group.addTask {
                    try await GatewayClient.connect(url: urlC, token: Self.token) { session in
                        for agent in share {
                            let answer = try await session.call("agents.adopt", params: ["agentId": .string(agent)])
                            guard answer["source"] == "restored" else { throw BenchError("\(agent) was not restored: \(answer)") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let parallelTotal = Self.milliseconds(ContinuousClock.now - parallelStarted)
        rows.append(GatewayResultRow(
            id: "adopt-parallel", workload: "adopt the same \(agents.count) agents \(parallel) at a time (a third gateway), total",
            gateway: String(format: "%.1f s (%.1f agents/s)", parallelTotal / 1000, Double(agents.count) / max(0.001, parallelTotal / 1000)),
            baseline: String(format: "one at a time %.1f s", total / 1000), ratio: parallelTotal / max(0.001, total), ratioMeaning: "parallel/sequential time",
            goal: "measured (the paper's input)", met: nil, repetitions: 1, values: ["adoptParallelTotalMilliseconds": parallelTotal]))
    }

    /// VmRSS of the `litestream replicate` of a state directory, in KiB.
    func litestreamRSS(of state: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        for name in names where Int32(name) != nil {
            guard let command = try? String(contentsOfFile: "/proc/\(name)/cmdline", encoding: .utf8),
                  command.contains("litestream"), command.contains(state + "/replication/litestream.yml"),
                  let status = try? String(contentsOfFile: "/proc/\(name)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
        }
        return 0
    }

    /// S3 requests moto logged, by method, since the log had `offset` lines.
    func motoRequests(after offset: Int) -> (lines: Int, byMethod: [String: Int]) {
        let lines = moto.errors.split(separator: "\n")
        var counts: [String: Int] = [:]
        for line in lines.dropFirst(offset) {
            for method in ["GET", "PUT", "POST", "DELETE", "HEAD"] where line.contains("\"\(method) ") {
                let isList = method == "GET" && (line.contains("list-type=2") || line.contains("?prefix=") || line.contains("&prefix="))
                let isLease = line.contains("/leases/")
                counts[isLease ? "\(method) lease" : isList ? "LIST" : method, default: 0] += 1
            }
        }
        return (lines.count, counts)
    }

    func idleRequests(agents: Int, baseRSS: Int, fullRSS: Int) async throws {
        // Five and a half minutes: one cycle of the 5-minute compaction and retention checks.
        let seconds = quick ? 20 : 330
        Log.info("idle: counting S3 requests of \(agents) idle agents for \(seconds) s")
        try await Task.sleep(for: .seconds(5))
        let start = motoRequests(after: 0).lines
        try await Task.sleep(for: .seconds(Int64(seconds)))
        let counts = motoRequests(after: start).byMethod
        let minutes = Double(seconds) / 60
        let perDatabase = { (key: String) in Double(counts[key, default: 0]) / Double(agents + 1) / minutes }
        let litestreamRequests = counts.filter { !$0.key.contains("lease") }.values.reduce(0, +)
        let leaseRequests = counts.filter { $0.key.contains("lease") }.values.reduce(0, +)
        let perDatabaseLitestream = Double(litestreamRequests) / Double(agents + 1) / minutes
        let perAgentLease = Double(leaseRequests) / Double(agents) / minutes
        let breakdown = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        rows.append(GatewayResultRow(
            id: "idle-requests", workload: "S3 requests per idle database per minute (\(agents) agents + the global database, \(seconds) s)",
            gateway: String(format: "%.2f Litestream (LIST %.2f)", perDatabaseLitestream, perDatabase("LIST")), baseline: String(format: "leases %.1f", perAgentLease),
            ratio: nil, ratioMeaning: "", goal: "measured (the paper's input)", met: nil, repetitions: 1,
            values: ["litestreamPerDatabasePerMinute": perDatabaseLitestream, "listPerDatabasePerMinute": perDatabase("LIST"), "leasePerAgentPerMinute": perAgentLease],
            notes: ["idle requests: \(breakdown) in \(seconds) s (moto's request log); lease renewals are PUTs every lease/5 = 3 s"]))
        let perDatabaseKiB = Double(fullRSS - baseRSS) / Double(agents)
        rows.append(GatewayResultRow(
            id: "litestream-memory", workload: "Litestream's resident memory per watched database (\(agents) agents)",
            gateway: String(format: "%.0f KiB", perDatabaseKiB), baseline: Format.mebibytes(kib: baseRSS) + " with none",
            ratio: nil, ratioMeaning: "", goal: "measured (the paper's input)", met: nil, repetitions: 1,
            values: ["kibPerDatabase": perDatabaseKiB, "baseKiB": Double(baseRSS), "fullKiB": Double(fullRSS)]))
    }
}
