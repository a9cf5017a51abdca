import AgentRuntime
import AsyncHTTPClient
import FakeProvider
import Foundation

// MARK: - 3. turn: the runtime's own cost per model turn

extension RuntimeBenchRun {
    /// What the fake model answers to every request (plain text: the run ends after one turn).
    static let replyText = "Done: notes.md has three open questions, and I listed them above, one per line."
    /// The user's message of every run.
    static let userMessage = "Summarize notes.md in one line."

    func turnWorkload() async throws {
        Log.info("3. turn: starting the fake model provider")
        let fake = try await FakeModelProvider.start()
        do {
            try await turns(fake)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    private func turns(_ fake: FakeModelProvider) async throws {
        let count = configuration.turns
        let label = Format.count(count)
        let runtime = try Self.openRuntime(root + "/state-turn")
        try runtime.catalog.setProvider(ModelProviderConfiguration(id: "fake", api: .openAICompletions, baseURL: fake.baseURL + "/v1",
                                                                   models: [ModelDescriptor(id: "fake-model")]))
        try runtime.settings.setDefaultModel(ModelReference(provider: "fake", model: "fake-model"))
        let client = DirectModelClient(url: fake.baseURL + "/v1/chat/completions", apiKey: Self.apiKey, expected: Self.replyText)

        /// Forgets the recorded requests (they pile up in memory) and sets the reply again.
        func restart() {
            fake.reset()
            fake.setDefaultReply(.text(Self.replyText))
        }
        func freshSession() throws -> SessionKey {
            let key = try SessionKey("agent:main:turn-\(nextNumber())")
            _ = try runtime.sessions.openSession(key)
            return key
        }
        @Sendable func runOnce(_ key: SessionKey, stream: Bool) async throws {
            let result = try await runtime.run(AgentRunRequest(message: Self.userMessage, sessionKey: key, stream: stream)).result()
            guard result.text == Self.replyText, result.turns == 1 else {
                throw BenchError("the run answered \(result.text.debugDescription) in \(result.turns) turns")
            }
        }

        var perTurn: [Bool: (run: Double, direct: Double)] = [:]
        for stream in [false, true] {
            let mode = stream ? "streaming" : "non-streaming"
            restart()
            // The request the runtime sends for a one-turn run in a fresh session: the direct side
            // sends these very bytes.
            let probe = try freshSession()
            try await runOnce(probe, stream: stream)
            guard let captured = fake.requests.last, captured.stream == stream else { throw BenchError("the fake provider recorded no \(mode) request") }
            let eventsPerRun = (try runtime.sessions.session(probe)?.frontier.eventCount ?? 1) - 1
            let tools = (captured.json["tools"] as? [Any])?.count ?? 0
            Log.info("3. turn: \(label) one-turn runs (\(mode)), each in a fresh session, vs the same request sent directly")
            var keys: [SessionKey] = []
            let ((run, direct), cpu) = try await measurePairWithCPU(setupFirst: {
                keys = try (0..<count).map { _ in try freshSession() }
            }, first: {
                for key in keys { try await runOnce(key, stream: stream) }
            }, second: {
                for _ in 0..<count { try await client.send(captured.body, stream: stream) }
            })
            let runTurn = run.median / Double(count)
            let directTurn = direct.median / Double(count)
            perTurn[stream] = (runTurn, directTurn)
            let (runCPU, directCPU) = (cpu.first / Double(count), cpu.second / Double(count))
            Log.info("   run \(Format.time(runTurn))/turn, direct \(Format.time(directTurn))/request, overhead \(Self.signed(runTurn - directTurn)); "
                     + "CPU \(Format.time(runCPU)) vs \(Format.time(directCPU))")
            var row = turnRow(id: stream ? "turn-stream" : "turn",
                              workload: "one agent turn, \(mode) (a plain-text answer from the local fake provider), in a fresh session, \(label) per repetition: "
                                  + "`AgentRuntime.run` vs the same POST /v1/chat/completions sent directly with AsyncHTTPClient",
                              run: run, direct: direct, perRepetition: count, goal: "<= 2.0x run/direct", maximumRatio: 2.0)
            row.values["openclaw_cpu_seconds_per_turn"] = runCPU
            row.values["direct_cpu_seconds_per_request"] = directCPU
            row.notes.append("CPU time of the whole process (both sides share it with the fake provider): \(Format.time(runCPU))/turn vs "
                             + "\(Format.time(directCPU))/request, \(Self.signed(runCPU - directCPU)) per turn")
            if stream {
                row.notes.append("the direct side reads the server-sent events and parses every `data:` line with JSONSerialization; the runtime parses "
                                 + "them as they arrive and reports each piece of text. Streaming is what `openclaw agent` uses by default.")
            } else {
                row.notes.append("a run reads the agent's settings, the model catalog, the credentials, the skills and the session's transcript, and commits "
                                 + "\(eventsPerRun) transcript events in 2 write transactions (the user message with run_start and the session's model; the "
                                 + "assistant message with run_end; WAL, synchronous=NORMAL, prepared statements cached). The direct side sends the byte-identical body the "
                                 + "runtime sent (\(captured.body.count) bytes: system prompt, \(tools) tool definitions, the message) over the same "
                                 + "`HTTPClient.shared` and parses the answer with JSONSerialization. The sessions are created before the timing.")
            }
            rows.append(row)
        }
        if let plain = perTurn[false], let streamed = perTurn[true] {
            notes.append("turn: a streaming run costs \(Self.signed(streamed.run - plain.run)) per turn against a non-streaming run "
                         + "(\(Format.time(streamed.run)) vs \(Format.time(plain.run))); sent directly, streaming costs \(Self.signed(streamed.direct - plain.direct)) "
                         + "(\(Format.time(streamed.direct)) vs \(Format.time(plain.direct))). The fake provider runs in this process (Hummingbird), "
                         + "so its work is in both sides and cancels out of the overhead.")
        }

        try await concurrentRuns(fake: fake, client: client, restart: restart, freshSession: freshSession, runOnce: runOnce)

        // A growing history: every turn reads the whole transcript and sends it back.
        let historyTurns = configuration.historyTurns
        restart()
        Log.info("3. turn: \(historyTurns) runs in one session (growing history), non-streaming, vs the same \(historyTurns) requests sent directly")
        let captureKey = try freshSession()
        for _ in 0..<historyTurns { try await runOnce(captureKey, stream: false) }
        let bodies = fake.requests.suffix(historyTurns).map(\.body)
        guard bodies.count == historyTurns else { throw BenchError("the fake provider recorded \(bodies.count) requests, expected \(historyTurns)") }
        restart()
        var key = captureKey
        var runTimes: [[Double]] = []
        var directTimes: [[Double]] = []
        let (run, direct) = try await measurePairAsync(setupFirst: {
            key = try freshSession()
            runTimes.append([])
            directTimes.append([])
        }, first: {
            for _ in 0..<historyTurns {
                let start = Stopwatch.nanoseconds()
                try await runOnce(key, stream: false)
                runTimes[runTimes.count - 1].append(Double(Stopwatch.nanoseconds() - start) / 1e9)
            }
        }, second: {
            for body in bodies {
                let start = Stopwatch.nanoseconds()
                try await client.send(body, stream: false)
                directTimes[directTimes.count - 1].append(Double(Stopwatch.nanoseconds() - start) / 1e9)
            }
        })
        restart()
        let runTurn = run.median / Double(historyTurns)
        let directTurn = direct.median / Double(historyTurns)
        Log.info("   run \(Format.time(runTurn))/turn, direct \(Format.time(directTurn))/request, overhead \(Self.signed(runTurn - directTurn))")
        var row = turnRow(id: "turn-history", workload: "\(historyTurns) turns in one session (the history grows to \(historyTurns - 1) earlier exchanges), "
                              + "non-streaming: `AgentRuntime.run` vs the same \(historyTurns) request bodies sent directly (informational)",
                          run: run, direct: direct, perRepetition: historyTurns, goal: "-", maximumRatio: nil)
        // Per-turn medians over the timed repetitions (the first array is the warm-up's).
        func band(_ times: [[Double]], _ range: Range<Int>) -> Double {
            let timed = times.dropFirst()
            let medians = range.map { index in Sample(seconds: timed.compactMap { $0.indices.contains(index) ? $0[index] : nil }).median }
            return medians.reduce(0, +) / Double(medians.count)
        }
        let head = 0..<min(10, historyTurns)
        let tail = max(0, historyTurns - 10)..<historyTurns
        let headOverhead = band(runTimes, head) - band(directTimes, head)
        let tailOverhead = band(runTimes, tail) - band(directTimes, tail)
        row.notes.append("turns \(head.lowerBound + 1)-\(head.upperBound): run \(Format.time(band(runTimes, head))), direct \(Format.time(band(directTimes, head))) "
                         + "(overhead \(Self.signed(headOverhead))); turns \(tail.lowerBound + 1)-\(tail.upperBound): run \(Format.time(band(runTimes, tail))), "
                         + "direct \(Format.time(band(directTimes, tail))) (overhead \(Self.signed(tailOverhead))). Each run reads and decodes the session's "
                         + "whole transcript to rebuild the history; the last request body is \(bodies.last?.count ?? 0) bytes.")
        row.values["head_overhead_seconds"] = headOverhead
        row.values["tail_overhead_seconds"] = tailOverhead
        rows.append(row)
    }

    /// 200 runs at once in one process against the in-process fake provider, each in its own
    /// session, against 200 direct requests at once: the p99 latency a run adds.
    private func concurrentRuns(fake: FakeModelProvider, client: DirectModelClient, restart: () -> Void, freshSession: () throws -> SessionKey,
                                runOnce: @escaping @Sendable (SessionKey, Bool) async throws -> Void) async throws {
        let concurrent = 200
        restart()
        let probe = try freshSession()
        try await runOnce(probe, false)
        guard let captured = fake.requests.last else { throw BenchError("the fake provider recorded no request") }
        let body = captured.body
        Log.info("3b. turn: \(concurrent) concurrent one-turn runs vs \(concurrent) concurrent direct requests")
        func percentile(_ values: [Double], _ fraction: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
        var runP99: [Double] = []
        var directP99: [Double] = []
        var runP50: [Double] = []
        var directP50: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let keys = try (0..<concurrent).map { _ in try freshSession() }
            let runs = try await withThrowingTaskGroup(of: Double.self) { group in
                for key in keys {
                    group.addTask {
                        let start = Stopwatch.nanoseconds()
                        try await runOnce(key, false)
                        return Double(Stopwatch.nanoseconds() - start) / 1e9
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let directs = try await withThrowingTaskGroup(of: Double.self) { group in
                for _ in 0..<concurrent {
                    group.addTask {
                        let start = Stopwatch.nanoseconds()
                        try await client.send(body, stream: false)
                        return Double(Stopwatch.nanoseconds() - start) / 1e9
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            runP99.append(percentile(runs, 0.99))
            directP99.append(percentile(directs, 0.99))
            runP50.append(percentile(runs, 0.5))
            directP50.append(percentile(directs, 0.5))
        }
        let run = Sample(seconds: runP99).median
        let direct = Sample(seconds: directP99).median
        Log.info("   p99 run \(Format.time(run)), direct \(Format.time(direct)), added \(Self.signed(run - direct))")
        var row = RuntimeResultRow(
            id: "turn-concurrent", workload: "\(concurrent) one-turn runs at once in one process (each in its own session, non-streaming), "
                + "against \(concurrent) direct requests at once with the same body: p99 latency per run",
            openclaw: "p99 \(Format.time(run)) (added \(Self.signed(run - direct)))", alternative: "p99 \(Format.time(direct))",
            ratio: run / direct, ratioMeaning: "run/direct p99 latency", goal: "- (reported: the added p99 per run)", met: nil, repetitions: repetitions,
            values: ["openclaw_p99_seconds": run, "direct_p99_seconds": direct, "added_p99_seconds": run - direct,
                     "openclaw_p50_seconds": Sample(seconds: runP50).median, "direct_p50_seconds": Sample(seconds: directP50).median,
                     "concurrent_runs": Double(concurrent)])
        row.notes.append("median over the repetitions of each round's p99 (sorted latencies); the fake provider and both sides share this process")
        rows.append(row)
    }

    /// One untimed run of each side, then `repetitions` timed rounds with the two sides
    /// alternating. `setupFirst` runs before every run of `first`, outside the timing.
    func measurePairAsync(setupFirst: () throws -> Void, first: () async throws -> Void,
                          second: () async throws -> Void) async throws -> (first: Sample, second: Sample) {
        try await measurePairWithCPU(setupFirst: setupFirst, first: first, second: second).wall
    }

    /// ``measurePairAsync(setupFirst:first:second:)`` with the process's CPU time (user + system,
    /// all threads: both sides share the process with the fake provider) of each side, as medians.
    func measurePairWithCPU(setupFirst: () throws -> Void, first: () async throws -> Void,
                            second: () async throws -> Void) async throws -> (wall: (first: Sample, second: Sample), cpu: (first: Double, second: Double)) {
        try setupFirst()
        try await first()
        try await second()
        var firstSeconds: [Double] = []
        var secondSeconds: [Double] = []
        var firstCPU: [Double] = []
        var secondCPU: [Double] = []
        for _ in 0..<repetitions {
            try setupFirst()
            var cpu = Self.processCPUSeconds()
            var start = Stopwatch.nanoseconds()
            try await first()
            firstSeconds.append(Double(Stopwatch.nanoseconds() - start) / 1e9)
            firstCPU.append(Self.processCPUSeconds() - cpu)
            cpu = Self.processCPUSeconds()
            start = Stopwatch.nanoseconds()
            try await second()
            secondSeconds.append(Double(Stopwatch.nanoseconds() - start) / 1e9)
            secondCPU.append(Self.processCPUSeconds() - cpu)
        }
        return ((Sample(seconds: firstSeconds), Sample(seconds: secondSeconds)),
                (Sample(seconds: firstCPU).median, Sample(seconds: secondCPU).median))
    }

    /// The CPU time this process has used so far, user and system, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// A signed duration: `+1.2 ms`, `-35.0 µs`.
    static func signed(_ seconds: Double) -> String {
        seconds < 0 ? "-" + Format.time(-seconds) : "+" + Format.time(seconds)
    }

    /// Turn rows: both figures per turn, the overhead in the openclaw cell, ratio = run/direct time.
    func turnRow(id: String, workload: String, run: Sample, direct: Sample, perRepetition: Int, goal: String, maximumRatio: Double?) -> RuntimeResultRow {
        let runTurn = run.median / Double(perRepetition)
        let directTurn = direct.median / Double(perRepetition)
        let overhead = runTurn - directTurn
        return RuntimeResultRow(
            id: id, workload: workload,
            openclaw: "\(Format.time(runTurn))/turn (overhead \(Self.signed(overhead)))",
            alternative: "\(Format.time(directTurn))/request",
            ratio: runTurn / directTurn, ratioMeaning: "run/direct time", goal: goal, met: maximumRatio.map { runTurn / directTurn <= $0 },
            repetitions: repetitions,
            values: ["openclaw_seconds_per_turn": runTurn, "direct_seconds_per_request": directTurn, "overhead_seconds_per_turn": overhead,
                     "turns_per_repetition": Double(perRepetition),
                     "openclaw_min_seconds": run.minimum, "openclaw_max_seconds": run.maximum,
                     "direct_min_seconds": direct.minimum, "direct_max_seconds": direct.maximum])
    }
}

/// The model request without the runtime: one POST with AsyncHTTPClient, the answer parsed with
/// JSONSerialization.
struct DirectModelClient: Sendable {
    let url: String
    let apiKey: String
    /// The text every answer must carry.
    let expected: String

    /// Sends `body` (a Chat Completions request) and checks the answer's text.
    func send(_ body: Data, stream: Bool) async throws {
        _ = try await exchange(body, stream: stream, timeFirstPiece: false)
    }

    /// Times of one streamed request, in nanoseconds from just before it was sent.
    struct StreamTiming: Sendable {
        /// Until the first `data:` event with a non-empty `delta.content` was read.
        var firstPiece: UInt64
        /// Until the whole answer was read.
        var total: UInt64
    }

    /// Sends `body` (a streaming Chat Completions request), checks the answer's text and returns
    /// when its first piece of text and its end arrived.
    func sendTimed(_ body: Data) async throws -> StreamTiming {
        try await exchange(body, stream: true, timeFirstPiece: true)
    }

    private func exchange(_ body: Data, stream: Bool, timeFirstPiece: Bool) async throws -> StreamTiming {
        let start = Stopwatch.nanoseconds()
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "authorization", value: "Bearer " + apiKey)
        if stream { request.headers.add(name: "accept", value: "text/event-stream") }
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        guard response.status.code == 200 else { throw BenchError("direct request: HTTP \(response.status.code)") }
        var collected = Data()
        var firstPiece: UInt64 = 0
        var scanned = 0
        for try await buffer in response.body {
            collected.append(contentsOf: buffer.readableBytesView)
            if timeFirstPiece, firstPiece == 0 {
                // Complete lines only: an event may be split across buffers.
                while let newline = collected[scanned...].firstIndex(of: 0x0A) {
                    let line = collected[scanned..<newline]
                    scanned = newline + 1
                    if Self.hasPiece(line) {
                        firstPiece = Stopwatch.nanoseconds() - start
                        break
                    }
                }
            }
        }
        let total = Stopwatch.nanoseconds() - start
        let text = stream ? try Self.streamedText(collected) : try Self.completionText(collected)
        guard text == expected else { throw BenchError("direct request answered \(text.debugDescription)") }
        return StreamTiming(firstPiece: firstPiece == 0 ? total : firstPiece, total: total)
    }

    /// Whether `line` is a `data:` event carrying a non-empty `choices[0].delta.content`.
    static func hasPiece(_ line: Data) -> Bool {
        guard line.starts(with: Array("data: {".utf8)),
              let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6))) as? [String: Any],
              let choice = (object["choices"] as? [Any])?.first as? [String: Any],
              let delta = choice["delta"] as? [String: Any], let piece = delta["content"] as? String else { return false }
        return !piece.isEmpty
    }

    /// `choices[0].message.content` of a completion.
    static func completionText(_ data: Data) throws -> String {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let choice = (object["choices"] as? [Any])?.first as? [String: Any],
              let message = choice["message"] as? [String: Any], let content = message["content"] as? String
        else { throw BenchError("direct request: the answer has no choices[0].message.content") }
        return content
    }

    /// The concatenated `choices[0].delta.content` of a server-sent event stream.
    static func streamedText(_ data: Data) throws -> String {
        var text = ""
        var finished = false
        for line in data.split(separator: 0x0A) where line.starts(with: Array("data: ".utf8)) {
            let payload = line.dropFirst(6)
            if payload.elementsEqual("[DONE]".utf8) {
                finished = true
                continue
            }
            guard let object = try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { throw BenchError("direct request: an event is not JSON") }
            if let choice = (object["choices"] as? [Any])?.first as? [String: Any],
               let delta = choice["delta"] as? [String: Any], let piece = delta["content"] as? String {
                text += piece
            }
        }
        guard finished else { throw BenchError("direct request: the stream ended without [DONE]") }
        return text
    }
}
