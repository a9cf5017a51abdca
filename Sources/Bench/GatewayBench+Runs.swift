import AgentRuntime
import Foundation
import Gateway
import Synchronization

/// The runs of one round over WebSocket: when each was sent, its first `chat` delta and its
/// `chat` final arrived on the connection that sent it.
final class RunTracker: Sendable {
    private struct Run {
        var connection: Int
        var start: UInt64 = 0
        var firstDelta: UInt64 = 0
        var final: UInt64 = 0
    }

    private struct State {
        var runs: [String: Run] = [:]
        var remaining = 0
        var failures: [String] = []
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    let expectedText: String

    init(expectedText: String) {
        self.expectedText = expectedText
    }

    /// Starts a round of the runs `ids`, each sent on connection `connections[i]`.
    func expect(_ ids: [String], connections: [Int]) {
        state.withLock { state in
            state.runs = [:]
            for (id, connection) in zip(ids, connections) { state.runs[id] = Run(connection: connection) }
            state.remaining = ids.count
            state.failures = []
        }
    }

    func started(_ id: String, at time: UInt64) {
        state.withLock { $0.runs[id]?.start = time }
    }

    /// A `chat` event seen on `connection` at `time`.
    func observe(_ event: GatewaySession.Event, connection: Int, at time: UInt64) {
        guard event.name == "chat", let id = event.payload["runId"]?.stringValue, let chatState = event.payload["state"]?.stringValue else { return }
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard var run = state.runs[id], run.connection == connection, run.final == 0 else { return nil }
            switch chatState {
            case "delta":
                if run.firstDelta == 0 { run.firstDelta = time }
            case "final":
                run.final = time
                let text = event.payload["message"]?["content"]?.arrayValue?.first?["text"]?.stringValue
                if text != expectedText { state.failures.append("\(id) answered \(text.debugDescription)") }
            default:
                run.final = time
                state.failures.append("\(id) ended \(chatState): \(event.payload["errorMessage"]?.stringValue ?? event.payload["reason"]?.stringValue ?? "")")
            }
            state.runs[id] = run
            guard run.final != 0 else { return nil }
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits until every run of the round ended (or `timeout` passed: then throws).
    func waitAll(timeout: Duration) async throws {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.remaining == 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        timer.cancel()
        let (remaining, failures) = state.withLock { ($0.remaining, $0.failures) }
        if !failures.isEmpty { throw BenchError("\(failures.count) runs failed: \(failures.prefix(3).joined(separator: "; "))") }
        if remaining > 0 { throw BenchError("\(remaining) runs had not ended after \(timeout)") }
    }

    /// Send to final and send to first delta, per run.
    func latencies() -> (total: LatencyHistogram, firstDelta: LatencyHistogram) {
        state.withLock { state in
            var total = LatencyHistogram()
            var first = LatencyHistogram()
            for run in state.runs.values {
                total.record(nanoseconds: run.final - run.start)
                first.record(nanoseconds: (run.firstDelta == 0 ? run.final : run.firstDelta) - run.start)
            }
            return (total, first)
        }
    }
}

// MARK: - runs: 200 concurrent runs over WebSocket against the provider alone

extension GatewayBenchRun {
    func runsWorkload(_ live: InProcessGateway) async throws {
        let count = configuration.concurrentRuns
        let rounds = configuration.rounds
        let connectionCount = min(configuration.runConnections, count)
        live.fake.reset()
        live.fake.setDefaultReply(.text(Self.replyText))
        let held = try await HeldConnections.open(url: live.url, token: live.token, count: connectionCount)
        let tracker = RunTracker(expectedText: Self.replyText)
        let consumers = held.sessions.enumerated().map { index, session in
            Task {
                for await event in session.events {
                    tracker.observe(event, connection: index, at: Stopwatch.nanoseconds())
                }
            }
        }
        do {
            try await runs(live, held: held, tracker: tracker, count: count, rounds: rounds)
        } catch {
            await held.close()
            for consumer in consumers { consumer.cancel() }
            throw error
        }
        await held.close()
        for consumer in consumers { await consumer.value }
    }

    private func runs(_ live: InProcessGateway, held: HeldConnections, tracker: RunTracker, count: Int, rounds: Int) async throws {
        let runtime = try await live.host.runtime(for: .main)
        var sequence = 0
        func nextKeys(_ prefix: String, _ number: Int? = nil) throws -> [SessionKey] {
            let number = number ?? count
            defer { sequence += number }
            return try (sequence..<(sequence + number)).map { try SessionKey("agent:main:\(prefix)\($0)") }
        }
        let connections = held.sessions.count

        /// One round over WebSocket: `count` chat.send at once (round robin over the connections).
        func gatewayRound(_ keys: [SessionKey]) async throws -> (total: LatencyHistogram, firstDelta: LatencyHistogram) {
            let ids = keys.map { "bench-" + $0.value.split(separator: ":").last! }
            let owners = keys.indices.map { $0 % connections }
            tracker.expect(ids, connections: owners)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in keys.indices {
                    let session = held.sessions[owners[index]]
                    let (key, id) = (keys[index], ids[index])
                    group.addTask {
                        tracker.started(id, at: Stopwatch.nanoseconds())
                        let frames = try await session.send("chat.send", params: ["sessionKey": .string(key.value), "message": .string(Self.userMessage),
                                                                                  "idempotencyKey": .string(id)])
                        guard frames.first?["ok"] == true, frames.first?["payload"]?["status"] == "started" else {
                            throw BenchError("chat.send \(id) answered \(frames.first?.jsonText ?? "nothing")")
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await tracker.waitAll(timeout: .seconds(120))
            return tracker.latencies()
        }

        /// The same runs through `AgentRuntime.run` in this process, started as the gateway starts
        /// them, without the gateway.
        func runtimeRound(_ keys: [SessionKey]) async throws -> (total: LatencyHistogram, firstDelta: LatencyHistogram) {
            return try await withThrowingTaskGroup(of: (UInt64, UInt64).self) { group in
                for key in keys {
                    group.addTask {
                        let start = Stopwatch.nanoseconds()
                        // As the gateway starts a run: streaming, its id the idempotency key (which costs the runtime a lookup).
                        let id = "bench-" + (key.value.split(separator: ":").last.map(String.init) ?? "")
                        let run = try await runtime.run(AgentRunRequest(message: Self.userMessage, sessionKey: key, stream: true, idempotencyKey: id, runID: id))
                        var first: UInt64 = 0
                        var outcome: String?
                        for await event in run.events where event.runID == run.runID {
                            switch event.payload {
                            case .text: if first == 0 { first = Stopwatch.nanoseconds() }
                            case .completed(let text, _, _, _): outcome = text
                            case .failed(let error): throw BenchError("runtime run failed: \(error.message)")
                            case .aborted(let reason, _): throw BenchError("runtime run aborted: \(reason)")
                            default: break
                            }
                        }
                        let end = Stopwatch.nanoseconds()
                        guard outcome == Self.replyText else { throw BenchError("runtime run answered \(outcome.debugDescription)") }
                        return (end - start, (first == 0 ? end : first) - start)
                    }
                }
                var total = LatencyHistogram()
                var first = LatencyHistogram()
                for try await (whole, firstDelta) in group {
                    total.record(nanoseconds: whole)
                    first.record(nanoseconds: firstDelta)
                }
                return (total, first)
            }
        }

        // The provider request a run sends (streaming, as every gateway run): the direct side
        // sends these very bytes.
        live.fake.reset()
        live.fake.setDefaultReply(.text(Self.replyText))
        let probe = try SessionKey("agent:main:probe")
        try await live.openSessions([probe])
        _ = try await runtime.run(AgentRunRequest(message: Self.userMessage, sessionKey: probe, stream: true)).result()
        guard let captured = live.fake.requests.last, captured.stream else { throw BenchError("the fake provider recorded no streaming request") }
        let client = DirectModelClient(url: live.fake.baseURL + "/v1/chat/completions", apiKey: InProcessGateway.providerKey, expected: Self.replyText)

        /// The same provider request, `number` at once, sent directly.
        func directRound(_ number: Int) async throws -> (total: LatencyHistogram, firstDelta: LatencyHistogram) {
            try await withThrowingTaskGroup(of: DirectModelClient.StreamTiming.self) { group in
                for _ in 0..<number {
                    group.addTask { try await client.sendTimed(captured.body) }
                }
                var total = LatencyHistogram()
                var first = LatencyHistogram()
                for try await timing in group {
                    total.record(nanoseconds: timing.total)
                    first.record(nanoseconds: timing.firstPiece)
                }
                return (total, first)
            }
        }

        Log.info("1. runs: \(count) concurrent runs over \(connections) WebSocket connection\(connections == 1 ? "" : "s") vs \(count) in process vs \(count) direct "
                 + "provider requests; 1 warm-up + \(rounds) timed rounds")
        var gateway = (total: LatencyHistogram(), firstDelta: LatencyHistogram())
        var inProcess = gateway
        var direct = gateway
        // Wall and CPU time of the whole process per round and side: at 200 runs at once the
        // two cores are the bottleneck, so the latencies follow the CPU each side needs.
        var walls: [String: [Double]] = [:]
        var cpus: [String: [Double]] = [:]
        func timed<T>(_ side: String, round: Int, _ body: () async throws -> T) async throws -> T {
            let cpu = RuntimeBenchRun.processCPUSeconds()
            let start = Stopwatch.nanoseconds()
            let result = try await body()
            if round > 0 {
                walls[side, default: []].append(Double(Stopwatch.nanoseconds() - start) / 1e9)
                cpus[side, default: []].append(RuntimeBenchRun.processCPUSeconds() - cpu)
            }
            return result
        }
        for round in 0...rounds {
            live.fake.reset()
            live.fake.setDefaultReply(.text(Self.replyText))
            // The sessions are opened before the timing (a run would create its own).
            let (gatewayKeys, runtimeKeys) = (try nextKeys("b"), try nextKeys("r"))
            try await live.openSessions(gatewayKeys + runtimeKeys)
            let g = try await timed("gateway", round: round) { try await gatewayRound(gatewayKeys) }
            let r = try await timed("runtime", round: round) { try await runtimeRound(runtimeKeys) }
            let d = try await timed("direct", round: round) { try await directRound(count) }
            Log.info(String(format: "   round %d%@: gateway p50 %@ p99 %@ (first delta p50 %@), runtime p99 %@, direct p50 %@ p99 %@ (first piece p50 %@)",
                            round, round == 0 ? " (warm-up)" : "", Format.time(g.total.p50), Format.time(g.total.p99), Format.time(g.firstDelta.p50),
                            Format.time(r.total.p99), Format.time(d.total.p50), Format.time(d.total.p99), Format.time(d.firstDelta.p50)))
            guard round > 0 else { continue }
            gateway.total.add(g.total)
            gateway.firstDelta.add(g.firstDelta)
            inProcess.total.add(r.total)
            inProcess.firstDelta.add(r.firstDelta)
            direct.total.add(d.total)
            direct.firstDelta.add(d.firstDelta)
        }
        let samples = gateway.total.count
        let addedP50 = gateway.total.p50 - direct.total.p50
        let addedP99 = gateway.total.p99 - direct.total.p99
        let firstAddedP50 = gateway.firstDelta.p50 - direct.firstDelta.p50
        let firstAddedP99 = gateway.firstDelta.p99 - direct.firstDelta.p99
        let overRuntimeP50 = gateway.total.p50 - inProcess.total.p50
        let overRuntimeP99 = gateway.total.p99 - inProcess.total.p99
        Log.info("   added p50 \(Self.signed(addedP50)), p99 \(Self.signed(addedP99)); first delta added p50 \(Self.signed(firstAddedP50))")
        let pieces = FakeWireMirror.pieceCount(Self.replyText)
        let shape = "\(count) runs at once, each in its own session (agent:main:b<i>), over \(connections) connection\(connections == 1 ? "" : "s"), "
            + "a \(pieces)-piece streamed answer"
        var values: [String: Double] = [
            "gateway_p50_seconds": gateway.total.p50, "gateway_p99_seconds": gateway.total.p99,
            "direct_p50_seconds": direct.total.p50, "direct_p99_seconds": direct.total.p99,
            "runtime_p50_seconds": inProcess.total.p50, "runtime_p99_seconds": inProcess.total.p99,
            "added_p50_seconds": addedP50, "added_p99_seconds": addedP99,
            "added_over_runtime_p50_seconds": overRuntimeP50, "added_over_runtime_p99_seconds": overRuntimeP99,
            "samples": Double(samples), "concurrent_runs": Double(count), "connections": Double(connections),
        ]
        func perRun(_ side: String) -> (wall: Double, cpu: Double) {
            (Sample(seconds: walls[side] ?? []).median, Sample(seconds: cpus[side] ?? []).median / Double(count))
        }
        for side in ["gateway", "runtime", "direct"] {
            values["\(side)_round_wall_seconds"] = perRun(side).wall
            values["\(side)_cpu_seconds_per_run"] = perRun(side).cpu
        }
        var total = GatewayResultRow(
            id: "runs-latency",
            workload: "\(shape): chat.send to the chat `final` event, vs the same streamed provider request sent directly \(count) at once (AsyncHTTPClient): p50 / p99 per run",
            gateway: "p50 \(Format.time(gateway.total.p50)), p99 \(Format.time(gateway.total.p99)) (added p50 \(Self.signed(addedP50)), p99 \(Self.signed(addedP99)))",
            baseline: "p50 \(Format.time(direct.total.p50)), p99 \(Format.time(direct.total.p99))",
            ratio: gateway.total.p99 / direct.total.p99, ratioMeaning: "gateway/direct p99", goal: "added p99 < 5 ms", met: addedP99 < 0.005,
            repetitions: rounds, values: values)
        total.notes.append("\(samples) runs (\(rounds) rounds of \(count)) per side. The direct side sends the byte-identical body a run sends "
                           + "(\(captured.body.count) bytes, streaming); the sessions are opened before each round, outside the timing. Both sides share "
                           + "AsyncHTTPClient's connection pool settings to the provider.")
        total.notes.append("the same \(count) runs through `AgentRuntime.run` in this process, started as the gateway starts them (streaming, the run id "
                           + "as idempotency key), without the gateway: p50 \(Format.time(inProcess.total.p50)), "
                           + "p99 \(Format.time(inProcess.total.p99)); so the gateway adds p50 \(Self.signed(overRuntimeP50)), p99 \(Self.signed(overRuntimeP99)) "
                           + "over the runtime, and the runtime the rest over the direct request.")
        let (gatewayCPU, runtimeCPU, directCPU) = (perRun("gateway").cpu, perRun("runtime").cpu, perRun("direct").cpu)
        total.notes.append("a round takes \(Format.time(perRun("gateway").wall)) through the gateway, \(Format.time(perRun("runtime").wall)) through the "
                           + "runtime alone, \(Format.time(perRun("direct").wall)) sent directly (medians); the process's CPU time per run (user + system, "
                           + "all threads: the fake provider's share is in every side) is \(Format.time(gatewayCPU)), \(Format.time(runtimeCPU)) and "
                           + "\(Format.time(directCPU)): the gateway and its client add \(Self.signed(gatewayCPU - runtimeCPU)) of CPU per run over the runtime, "
                           + "\(Self.signed(gatewayCPU - directCPU)) over the direct request.")
        rows.append(total)
        values = [
            "gateway_first_delta_p50_seconds": gateway.firstDelta.p50, "gateway_first_delta_p99_seconds": gateway.firstDelta.p99,
            "direct_first_piece_p50_seconds": direct.firstDelta.p50, "direct_first_piece_p99_seconds": direct.firstDelta.p99,
            "runtime_first_text_p50_seconds": inProcess.firstDelta.p50, "runtime_first_text_p99_seconds": inProcess.firstDelta.p99,
            "added_first_delta_p50_seconds": firstAddedP50, "added_first_delta_p99_seconds": firstAddedP99,
        ]
        var first = GatewayResultRow(
            id: "runs-first-delta",
            workload: "same runs: chat.send to the first chat `delta` event, vs the direct request to its first `delta.content` event",
            gateway: "p50 \(Format.time(gateway.firstDelta.p50)), p99 \(Format.time(gateway.firstDelta.p99)) (added p50 \(Self.signed(firstAddedP50)), "
                + "p99 \(Self.signed(firstAddedP99)))",
            baseline: "p50 \(Format.time(direct.firstDelta.p50)), p99 \(Format.time(direct.firstDelta.p99))",
            ratio: gateway.firstDelta.p50 / direct.firstDelta.p50, ratioMeaning: "gateway/direct p50", goal: "added p50 < 1 ms", met: firstAddedP50 < 0.001,
            repetitions: rounds, values: values)
        first.notes.append("in process, without the gateway, the first text piece comes at p50 \(Format.time(inProcess.firstDelta.p50)), "
                           + "p99 \(Format.time(inProcess.firstDelta.p99)) (gateway over runtime: p50 "
                           + "\(Self.signed(gateway.firstDelta.p50 - inProcess.firstDelta.p50))).")
        rows.append(first)

        // One run at a time: what a run costs when the two cores are not saturated.
        let sequential = configuration.sequentialRuns
        Log.info("1. runs: \(sequential) runs one at a time, the three sides alternating run by run (after 10 warm-up runs each)")
        var one = (gateway: LatencyHistogram(), runtime: LatencyHistogram(), direct: LatencyHistogram())
        var oneFirst = one
        for index in 0..<(sequential + 10) {
            let (gatewayKeys, runtimeKeys) = (try nextKeys("s", 1), try nextKeys("t", 1))
            try await live.openSessions(gatewayKeys + runtimeKeys)
            let g = try await gatewayRound(gatewayKeys)
            let r = try await runtimeRound(runtimeKeys)
            let d = try await directRound(1)
            if index % 50 == 49 {
                live.fake.reset()
                live.fake.setDefaultReply(.text(Self.replyText))
            }
            guard index >= 10 else { continue }
            one.gateway.add(g.total)
            one.runtime.add(r.total)
            one.direct.add(d.total)
            oneFirst.gateway.add(g.firstDelta)
            oneFirst.runtime.add(r.firstDelta)
            oneFirst.direct.add(d.firstDelta)
        }
        let oneAddedP50 = one.gateway.p50 - one.direct.p50
        let oneAddedP99 = one.gateway.p99 - one.direct.p99
        let oneFirstAdded = oneFirst.gateway.p50 - oneFirst.direct.p50
        Log.info("   gateway p50 \(Format.time(one.gateway.p50)) p99 \(Format.time(one.gateway.p99)), runtime p50 \(Format.time(one.runtime.p50)), "
                 + "direct p50 \(Format.time(one.direct.p50)) p99 \(Format.time(one.direct.p99)); first delta added p50 \(Self.signed(oneFirstAdded))")
        var alone = GatewayResultRow(
            id: "runs-sequential",
            workload: "same run, one at a time (\(sequential) runs per side, alternating; informational): chat.send to the chat `final` and to the first `delta`, "
                + "vs the direct request",
            gateway: "final p50 \(Format.time(one.gateway.p50)), p99 \(Format.time(one.gateway.p99)) (added p50 \(Self.signed(oneAddedP50)), "
                + "p99 \(Self.signed(oneAddedP99))); first delta p50 \(Format.time(oneFirst.gateway.p50)) (added \(Self.signed(oneFirstAdded)))",
            baseline: "final p50 \(Format.time(one.direct.p50)), p99 \(Format.time(one.direct.p99)); first piece p50 \(Format.time(oneFirst.direct.p50))",
            ratio: one.gateway.p50 / one.direct.p50, ratioMeaning: "gateway/direct p50", goal: "-", met: nil, repetitions: sequential,
            values: ["gateway_p50_seconds": one.gateway.p50, "gateway_p99_seconds": one.gateway.p99,
                     "runtime_p50_seconds": one.runtime.p50, "runtime_p99_seconds": one.runtime.p99,
                     "direct_p50_seconds": one.direct.p50, "direct_p99_seconds": one.direct.p99,
                     "added_p50_seconds": oneAddedP50, "added_p99_seconds": oneAddedP99,
                     "gateway_first_delta_p50_seconds": oneFirst.gateway.p50, "runtime_first_text_p50_seconds": oneFirst.runtime.p50,
                     "direct_first_piece_p50_seconds": oneFirst.direct.p50, "added_first_delta_p50_seconds": oneFirstAdded, "runs": Double(sequential)])
        alone.notes.append("through `AgentRuntime.run` alone: final p50 \(Format.time(one.runtime.p50)), p99 \(Format.time(one.runtime.p99)), first text p50 "
                           + "\(Format.time(oneFirst.runtime.p50)): the gateway adds p50 \(Self.signed(one.gateway.p50 - one.runtime.p50)) over the runtime "
                           + "(first delta \(Self.signed(oneFirst.gateway.p50 - oneFirst.runtime.p50))). With one run in flight nothing queues for the cores, "
                           + "so this is the latency a run adds by itself.")
        rows.append(alone)
    }
}

/// The fake provider's split of a text into stream pieces (after each run of spaces), counted.
enum FakeWireMirror {
    static func pieceCount(_ text: String) -> Int {
        var count = 0
        var afterSpace = false
        var any = false
        for character in text {
            if character == " " {
                afterSpace = true
            } else if afterSpace || !any {
                count += 1
                afterSpace = false
            }
            any = true
        }
        return count
    }
}
