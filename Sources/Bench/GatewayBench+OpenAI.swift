import AgentRuntime
import AsyncHTTPClient
import Foundation
import Subprocess
import SystemPackage

/// What a load run measured.
struct LoadResult: Sendable {
    var requests: Int
    var errors: Int
    var seconds: Double
    var p50: Double
    var p99: Double
    var requestsPerSecond: Double { Double(requests) / seconds }
}

/// One POST, repeated by a load generator.
struct LoadTarget: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: Data
    /// What a 200 answer's body must contain.
    var expect: String
}

/// An AsyncHTTPClient loop in this process: `concurrency` tasks, each sending the next request
/// when its answer has been read, for `seconds`.
enum SwiftLoad {
    static func run(_ target: LoadTarget, concurrency: Int, seconds: Double) async throws -> LoadResult {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let outcome: Result<LoadResult, any Error>
        do {
            outcome = .success(try await load(client, target, concurrency: concurrency, seconds: seconds))
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        return try outcome.get()
    }

    private static func load(_ client: HTTPClient, _ target: LoadTarget, concurrency: Int, seconds: Double) async throws -> LoadResult {
        let start = Stopwatch.nanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        let expect = Array(target.expect.utf8)
        let (histogram, requests, errors) = try await withThrowingTaskGroup(of: (LatencyHistogram, Int, Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var histogram = LatencyHistogram()
                    var requests = 0
                    var errors = 0
                    while Stopwatch.nanoseconds() < deadline {
                        var request = HTTPClientRequest(url: target.url)
                        request.method = .POST
                        for (name, value) in target.headers { request.headers.add(name: name, value: value) }
                        request.body = .bytes(target.body)
                        let sent = Stopwatch.nanoseconds()
                        let response = try await client.execute(request, timeout: .seconds(30))
                        var body = try await response.body.collect(upTo: 16 << 20)
                        let bytes = body.readBytes(length: body.readableBytes) ?? []
                        histogram.record(nanoseconds: Stopwatch.nanoseconds() - sent)
                        requests += 1
                        if response.status.code != 200 || !contains(bytes, expect) { errors += 1 }
                    }
                    return (histogram, requests, errors)
                }
            }
            var total = LatencyHistogram()
            var requests = 0
            var errors = 0
            for try await (histogram, count, failed) in group {
                total.add(histogram)
                requests += count
                errors += failed
            }
            return (total, requests, errors)
        }
        let elapsed = Double(Stopwatch.nanoseconds() - start) / 1e9
        return LoadResult(requests: requests, errors: errors, seconds: elapsed, p50: histogram.p50, p99: histogram.p99)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for offset in 0...(haystack.count - needle.count) where haystack[offset] == needle[0] {
            if haystack[offset..<(offset + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// wrk (Debian's `wrk` package), driven with a Lua script for the POST.
enum WrkLoad {
    static let path = "/usr/bin/wrk"

    static func run(_ target: LoadTarget, concurrency: Int, seconds: Double, directory: String) async throws -> LoadResult {
        let bodyPath = directory + "/wrk-body-\(RuntimeClock.uuid()).json"
        let scriptPath = directory + "/wrk-\(RuntimeClock.uuid()).lua"
        try target.body.write(to: URL(fileURLWithPath: bodyPath))
        var script = "wrk.method = \"POST\"\n"
        for (name, value) in target.headers { script += "wrk.headers[\"\(name)\"] = \"\(value)\"\n" }
        script += "local file = io.open(\"\(bodyPath)\", \"rb\")\nwrk.body = file:read(\"*a\")\nfile:close()\n"
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let threads = max(1, min(2, concurrency))
        let arguments = ["-t\(threads)", "-c\(concurrency)", "-d\(max(1, Int(seconds.rounded())))s", "--latency", "--timeout", "30s", "-s", scriptPath, target.url]
        let result = try await Subprocess.run(.path(FilePath(path)), arguments: Arguments(arguments), output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let output = result.standardOutput
        guard case .exited(0) = result.terminationStatus else {
            throw BenchError("wrk \(arguments.joined(separator: " ")) ended with \(result.terminationStatus): \(output) \(result.standardError)")
        }
        return try parse(output)
    }

    /// Reads `Requests/sec`, the request count, errors and the 50% and 99% latencies of wrk's report.
    static func parse(_ output: String) throws -> LoadResult {
        var p50 = Double.nan
        var p99 = Double.nan
        var requests = 0
        var seconds = Double.nan
        var errors = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 2, fields[0] == "50%" { p50 = duration(fields[1]) }
            if fields.count == 2, fields[0] == "99%" { p99 = duration(fields[1]) }
            // "  12345 requests in 10.00s, 4.56MB read"
            if fields.count >= 4, fields[1] == "requests", fields[2] == "in" {
                requests = Int(fields[0]) ?? 0
                seconds = duration(fields[3].trimmingCharacters(in: CharacterSet(charactersIn: ",")))
            }
            if line.contains("Non-2xx or 3xx responses:"), let last = fields.last { errors += Int(last) ?? 0 }
            if line.contains("Socket errors:") {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                errors += fields.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        guard requests > 0, !seconds.isNaN else { throw BenchError("cannot read wrk's report: \(output)") }
        return LoadResult(requests: requests, errors: errors, seconds: seconds, p50: p50, p99: p99)
    }

    /// `512.00us`, `1.23ms`, `2.00s`, `1.50m` in seconds.
    static func duration<S: StringProtocol>(_ text: S) -> Double {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("m", 60), ("s", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)) { return value * scale }
        }
        return Double(text) ?? .nan
    }
}

// MARK: - openai: /v1/chat/completions under load

extension GatewayBenchRun {
    func openAIWorkload(_ live: InProcessGateway) async throws {
        let concurrency = configuration.loadConcurrency
        let seconds = configuration.loadSeconds
        let generator = configuration.loadGenerator
        live.fake.reset()
        live.fake.setDefaultReply(.text(Self.replyText))
        let body: JSONValue = ["model": "openclaw", "messages": [["role": "user", "content": .string(Self.userMessage)]]]
        let gateway = LoadTarget(url: live.httpURL + "/v1/chat/completions",
                                 headers: [("Content-Type", "application/json"), ("Authorization", "Bearer " + live.token)],
                                 body: Data(body.jsonText.utf8), expect: "\"chat.completion\"")
        // The provider request a completion's run sends (streaming, as every gateway run).
        let probe = try await SwiftLoad.run(gateway, concurrency: 1, seconds: 0.2)
        guard probe.errors == 0, let captured = live.fake.requests.last, captured.stream else {
            throw BenchError("the probe completion failed (\(probe.errors) errors of \(probe.requests))")
        }
        let provider = LoadTarget(url: live.fake.baseURL + "/v1/chat/completions",
                                  headers: [("Content-Type", "application/json"), ("Authorization", "Bearer " + InProcessGateway.providerKey),
                                            ("Accept", "text/event-stream")],
                                  body: captured.body, expect: "[DONE]")
        func load(_ target: LoadTarget, seconds: Double) async throws -> LoadResult {
            let result: LoadResult
            if generator == "wrk" {
                result = try await WrkLoad.run(target, concurrency: concurrency, seconds: seconds, directory: root)
            } else {
                result = try await SwiftLoad.run(target, concurrency: concurrency, seconds: seconds)
            }
            live.fake.reset()
            live.fake.setDefaultReply(.text(Self.replyText))
            guard result.errors == 0 else { throw BenchError("\(result.errors) of \(result.requests) requests to \(target.url) failed") }
            return result
        }
        Log.info("4. openai: POST /v1/chat/completions (non-streaming) at concurrency \(concurrency) for \(Format.time(seconds)) with \(generator), "
                 + "vs the provider request sent to the fake provider directly; 1 s warm-up each")
        _ = try await load(gateway, seconds: 1)
        let viaGateway = try await load(gateway, seconds: seconds)
        Log.info(String(format: "   gateway: %.0f requests/s, p50 %@, p99 %@", viaGateway.requestsPerSecond, Format.time(viaGateway.p50), Format.time(viaGateway.p99)))
        _ = try await load(provider, seconds: 1)
        let direct = try await load(provider, seconds: seconds)
        Log.info(String(format: "   provider alone: %.0f requests/s, p50 %@, p99 %@", direct.requestsPerSecond, Format.time(direct.p50), Format.time(direct.p99)))
        let added = viaGateway.p99 - direct.p99
        var row = GatewayResultRow(
            id: "openai-load",
            workload: "`POST /v1/chat/completions` (non-streaming, a fresh session per request) at \(concurrency) requests in flight for \(Format.time(seconds)) "
                + "with \(generator == "wrk" ? "wrk" : "an AsyncHTTPClient loop in this process"), vs the same load of the provider request sent to the fake provider",
            gateway: String(format: "%.0f requests/s, p50 %@, p99 %@ (added p99 %@)", viaGateway.requestsPerSecond, Format.time(viaGateway.p50),
                            Format.time(viaGateway.p99), Self.signed(added)),
            baseline: String(format: "%.0f requests/s, p50 %@, p99 %@", direct.requestsPerSecond, Format.time(direct.p50), Format.time(direct.p99)),
            ratio: viaGateway.requestsPerSecond / direct.requestsPerSecond, ratioMeaning: "gateway/provider requests/s", goal: "- (reported: requests/s, added p99)",
            met: nil, repetitions: 1,
            values: ["gateway_requests_per_second": viaGateway.requestsPerSecond, "provider_requests_per_second": direct.requestsPerSecond,
                     "gateway_p50_seconds": viaGateway.p50, "gateway_p99_seconds": viaGateway.p99,
                     "provider_p50_seconds": direct.p50, "provider_p99_seconds": direct.p99, "added_p99_seconds": added,
                     "gateway_requests": Double(viaGateway.requests), "provider_requests": Double(direct.requests), "concurrency": Double(concurrency)])
        row.notes.append("each completion is a run in a new session (`agent:main:openai:<uuid>`): the session is created, the user message and the answer "
                         + "committed, and the provider asked with streaming; the baseline sends that very provider request (\(captured.body.count) bytes, "
                         + "streaming). The runtime reaches the provider through AsyncHTTPClient's default pool (8 connections per host); the load generator "
                         + "opens \(concurrency).")
        if generator == "wrk" {
            row.notes.append("wrk \(WrkLoad.path) (-t2 -c\(concurrency) --latency, a Lua script for the POST); its percentiles are its own.")
        } else {
            row.notes.append("no wrk at \(WrkLoad.path): the load came from an AsyncHTTPClient loop in this process, which shares the cores with the gateway "
                             + "(`apt-get install wrk` for an outside load generator; --load-generator chooses).")
        }
        rows.append(row)
    }
}
