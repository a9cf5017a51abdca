import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// What the idle-clients child reports on its standard output, one JSON line per step.
struct IdleClientsReport: Codable {
    /// `warm`, `ready` or `closed`.
    var step: String
    /// Connections open.
    var connections: Int
    /// The child's VmRSS, in KiB.
    var rssKiB: Int
    /// Seconds the step's connects took.
    var seconds: Double
}

/// `openclaw-bench gateway-idle-clients`: holds idle gateway connections for the `idle` workload
/// of `gateway`, so that the gateway's process holds only the server side of them.
///
/// Protocol on stdin/stdout: connects `--warmup` clients and prints a `warm` line; on a line on
/// stdin connects `--count` more and prints `ready`; on end of stdin closes them all, prints
/// `closed` and exits.
struct GatewayIdleClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-idle-clients",
        abstract: "(internal) The idle connections of `gateway`, held in a child process.",
        shouldDisplay: false
    )

    @Option var url: String
    @Option var token: String
    @Option var count: Int
    @Option var warmup: Int = 10

    func run() async throws {
        GatewayLimits.raiseFileLimit()
        let lines = Self.standardInputLines()
        var iterator = lines.makeAsyncIterator()
        var start = Stopwatch.nanoseconds()
        let warm = try await HeldConnections.open(url: url, token: token, count: warmup)
        Self.report(IdleClientsReport(step: "warm", connections: warm.sessions.count, rssKiB: ProcStatus.kibibytes("VmRSS"),
                                      seconds: Double(Stopwatch.nanoseconds() - start) / 1e9))
        guard await iterator.next() != nil else {
            await warm.close()
            return
        }
        start = Stopwatch.nanoseconds()
        let held: HeldConnections
        do {
            held = try await HeldConnections.open(url: url, token: token, count: count)
        } catch {
            await warm.close()
            throw error
        }
        Self.report(IdleClientsReport(step: "ready", connections: warm.sessions.count + held.sessions.count, rssKiB: ProcStatus.kibibytes("VmRSS"),
                                      seconds: Double(Stopwatch.nanoseconds() - start) / 1e9))
        while await iterator.next() != nil {}
        start = Stopwatch.nanoseconds()
        await held.close()
        await warm.close()
        Self.report(IdleClientsReport(step: "closed", connections: 0, rssKiB: ProcStatus.kibibytes("VmRSS"),
                                      seconds: Double(Stopwatch.nanoseconds() - start) / 1e9))
    }

    static func report(_ report: IdleClientsReport) {
        let data = (try? JSONEncoder().encode(report)) ?? Data()
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// The lines of stdin, read on a thread of their own (never on a concurrency thread).
    static func standardInputLines() -> AsyncStream<String> {
        let (stream, sink) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine() { sink.yield(line) }
            sink.finish()
        }
        return stream
    }
}

// MARK: - idle: memory and CPU of idle connections

extension GatewayBenchRun {
    /// This executable (`/proc/self/exe`).
    static func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func idleWorkload(_ live: InProcessGateway) async throws {
        let count = configuration.idleConnections
        let warmup = 10
        let seconds = configuration.idleSeconds
        Log.info("3. idle: \(count) idle connections from a child process (after \(warmup) warm-up connections); CPU over \(Format.time(seconds))")
        let arguments = ["gateway-idle-clients", "--url", live.url, "--token", live.token, "--count", String(count), "--warmup", String(warmup)]
        let decoder = JSONDecoder()
        struct Figures: Sendable {
            var warm: IdleClientsReport
            var ready: IdleClientsReport
            var closed: IdleClientsReport?
            var before: (rss: Int, anon: Int)
            var after: (rss: Int, anon: Int)
            var afterClose: (rss: Int, anon: Int)
            var cpuSeconds: Double
        }
        func memory() -> (rss: Int, anon: Int) { (ProcStatus.kibibytes("VmRSS"), ProcStatus.kibibytes("RssAnon")) }
        let outcome = try await Subprocess.run(.path(FilePath(Self.selfExecutable())), arguments: Arguments(arguments), input: .inputWriter,
                                               output: .sequence, error: .currentStandardError) { execution -> Figures in
            var lines = execution.standardOutput.strings().makeAsyncIterator()
            func next(_ step: String) async throws -> IdleClientsReport {
                guard let line = try await lines.next() else { throw BenchError("the idle-clients child ended before its \(step) line") }
                let report = try decoder.decode(IdleClientsReport.self, from: Data(line.utf8))
                guard report.step == step else { throw BenchError("the idle-clients child said \(line), expected \(step)") }
                return report
            }
            let warm = try await next("warm")
            try await Task.sleep(for: .seconds(1))
            let before = memory()
            _ = try await execution.standardInputWriter.write(Array("go\n".utf8))
            let ready = try await next("ready")
            Log.info(String(format: "   %d connections open in %.2f s", ready.connections, ready.seconds))
            // Let the handshakes' garbage settle (timers, buffers) before reading the figures.
            try await Task.sleep(for: .seconds(1))
            let after = memory()
            let cpuStart = RuntimeBenchRun.processCPUSeconds()
            try await Task.sleep(for: .seconds(seconds))
            let cpuSeconds = RuntimeBenchRun.processCPUSeconds() - cpuStart
            try await execution.standardInputWriter.finish()
            let closed = try? await next("closed")
            try await Task.sleep(for: .seconds(1))
            return Figures(warm: warm, ready: ready, closed: closed, before: before, after: after, afterClose: memory(),
                           cpuSeconds: cpuSeconds)
        }
        guard case .exited(0) = outcome.terminationStatus else { throw BenchError("the idle-clients child ended with \(outcome.terminationStatus)") }
        let figures = outcome.closureResult
        let added = figures.ready.connections - figures.warm.connections
        guard added == count else { throw BenchError("the child connected \(added) of \(count) clients") }
        let perConnection = Double(figures.after.rss - figures.before.rss) * 1024 / Double(count)
        let anonPerConnection = Double(figures.after.anon - figures.before.anon) * 1024 / Double(count)
        let clientPerConnection = Double(figures.ready.rssKiB - figures.warm.rssKiB) * 1024 / Double(count)
        let cpuPercent = figures.cpuSeconds / seconds * 100
        Log.info(String(format: "   gateway RSS %@ -> %@: %.1f KiB per connection; CPU at idle %.2f%% of one core",
                        Format.mebibytes(kib: figures.before.rss), Format.mebibytes(kib: figures.after.rss), perConnection / 1024, cpuPercent))
        var memoryRow = GatewayResultRow(
            id: "idle-memory",
            workload: "\(count) idle connections (handshake done, nothing sent), their clients in a child process: the gateway process's resident memory per connection",
            gateway: String(format: "%.1f KiB/connection (VmRSS %@ -> %@)", perConnection / 1024, Format.mebibytes(kib: figures.before.rss),
                            Format.mebibytes(kib: figures.after.rss)),
            baseline: String(format: "client side: %.1f KiB/connection (the child's VmRSS)", clientPerConnection / 1024),
            ratio: nil, ratioMeaning: "", goal: "< 64 KiB/connection", met: perConnection < 64 * 1024, repetitions: 1,
            values: ["bytes_per_connection": perConnection, "anon_bytes_per_connection": anonPerConnection,
                     "client_bytes_per_connection": clientPerConnection, "connections": Double(count),
                     "rss_before_kib": Double(figures.before.rss), "rss_after_kib": Double(figures.after.rss),
                     "rss_after_close_kib": Double(figures.afterClose.rss)])
        memoryRow.notes.append(String(format: "VmRSS of this process (gateway, runtime, fake provider) 1 s after %d warm-up connections and 1 s after %d more; "
                                      + "RssAnon grew %.1f KiB per connection. After they closed: VmRSS %@ "
                                      + "(glibc keeps freed memory).", warmup, count, anonPerConnection / 1024,
                                      Format.mebibytes(kib: figures.afterClose.rss)))
        rows.append(memoryRow)
        var cpuRow = GatewayResultRow(
            id: "idle-cpu",
            workload: "same \(count + warmup) idle connections: CPU time of the gateway process (getrusage, all threads) over \(Format.time(seconds))",
            gateway: String(format: "%.2f%% of one core (%@ CPU)", cpuPercent, Format.time(figures.cpuSeconds)),
            baseline: "-", ratio: nil, ratioMeaning: "", goal: "- (reported)", met: nil, repetitions: 1,
            values: ["cpu_percent_of_one_core": cpuPercent, "cpu_seconds": figures.cpuSeconds, "seconds": seconds])
        cpuRow.notes.append("the gateway's `tick` event goes to every connection every \(live.gateway.configuration.tickInterval) "
                            + "(at most one tick in the window); nothing else is sent to an idle connection.")
        rows.append(cpuRow)
    }
}
