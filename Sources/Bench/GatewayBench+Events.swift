import AgentRuntime
import Foundation
import Gateway
import HummingbirdWSClient
import Logging
import Synchronization

/// Counts the `agent` and `chat` events one connection receives, without decoding them (frames
/// are JSON with sorted keys: `{"event":"agent",...`), and notes when a `chat` `final` arrives.
final class FrameCounter: Sendable {
    private struct State {
        var events = 0
        var bytes = 0
        var final: UInt64 = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private static let agentPrefix = Array(#"{"type":"event","event":"agent""#.utf8)
    private static let chatPrefix = Array(#"{"type":"event","event":"chat""#.utf8)
    private static let finalMarker = Array(#""state":"final""#.utf8)

    /// Whether the UTF-8 of `text` contains `needle`.
    static func contains(_ text: String, _ needle: [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty }
            var offset = 0
            let last = haystack.count - needle.count
            while offset <= last {
                if haystack[offset] == first, needle.indices.allSatisfy({ haystack[offset + $0] == needle[$0] }) { return true }
                offset += 1
            }
            return false
        }
    }

    func reset() {
        state.withLock { state in
            state.events = 0
            state.bytes = 0
            state.final = 0
        }
    }

    func count(_ text: String, at time: UInt64) {
        let utf8 = text.utf8
        let isChat = utf8.starts(with: Self.chatPrefix)
        guard isChat || utf8.starts(with: Self.agentPrefix) else { return }
        // A chat frame is small except a final's (it carries the message): no delta says "final".
        // (Searched as bytes: `String.contains` goes through NSString here, and costs the
        // process, which the gateway shares, several percent of its CPU.)
        let isFinal = isChat && Self.contains(text, Self.finalMarker)
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.events += 1
            state.bytes += utf8.count
            guard isFinal else { return nil }
            state.final = time
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits for a `chat` final since the last ``reset()``; returns (events, bytes, its time).
    func waitFinal(timeout: Duration) async throws -> (events: Int, bytes: Int, final: UInt64) {
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
                if state.final != 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        timer.cancel()
        let result = state.withLock { ($0.events, $0.bytes, $0.final) }
        guard result.2 != 0 else { throw BenchError("no chat final after \(timeout) (\(result.0) events so far)") }
        return result
    }
}

/// A bare WebSocket client of the gateway: the handshake, then it counts events (``FrameCounter``)
/// and sends what it is given, until ``close()``.
final class RawWatcher: Sendable {
    let counter: FrameCounter
    private let commands: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    private init(counter: FrameCounter, commands: AsyncStream<String>.Continuation, task: Task<Void, Never>) {
        self.counter = counter
        self.commands = commands
        self.task = task
    }

    static func connect(url: String, token: String) async throws -> RawWatcher {
        let (commandStream, commands) = AsyncStream.makeStream(of: String.self)
        let (ready, readySink) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let counter = FrameCounter()
        let connect: JSONValue = [
            "type": "req", "id": "c", "method": "connect",
            "params": ["minProtocol": .int(GatewayProtocol.current), "maxProtocol": .int(GatewayProtocol.current),
                       "client": ["id": "gateway-client", "version": "0.1.0", "platform": "linux", "mode": "backend"],
                       "role": "operator", "scopes": ["operator.read", "operator.write"], "caps": [], "auth": ["token": .string(token)]],
        ]
        var logger = Logger(label: "openclaw-bench.watcher")
        logger.logLevel = .critical
        let task = Task {
            do {
                _ = try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 32 << 20), logger: logger) { inbound, outbound, _ in
                    let reader = Task {
                        var iterator = inbound.messages(maxSize: 64 << 20).makeAsyncIterator()
                        var greeted = false
                        while let message = try? await iterator.next() {
                            guard case .text(let text) = message else { continue }
                            if greeted {
                                counter.count(text, at: Stopwatch.nanoseconds())
                            } else if text.contains(#""event":"connect.challenge""#) {
                                try? await outbound.write(.text(connect.jsonText))
                            } else if text.contains(#""type":"res""#) {
                                greeted = true
                                readySink.yield(text.hasPrefix(#"{"type":"res","id":"c","ok":true"#) ? .success(()) : .failure(BenchError("connect refused: \(text.prefix(300))")))
                            }
                        }
                        if !greeted { readySink.yield(.failure(BenchError("the gateway closed before hello-ok"))) }
                    }
                    for await command in commandStream {
                        try await outbound.write(.text(command))
                    }
                    try? await outbound.close(.normalClosure, reason: nil)
                    let stopper = Task {
                        try? await Task.sleep(for: .seconds(2))
                        reader.cancel()
                    }
                    await reader.value
                    stopper.cancel()
                }
            } catch {
                readySink.yield(.failure(error))
            }
            readySink.finish()
        }
        var iterator = ready.makeAsyncIterator()
        let outcome = await iterator.next()
        guard case .success? = outcome else {
            commands.finish()
            await task.value
            var reason = "no answer"
            if case .failure(let error)? = outcome { reason = "\(error)" }
            throw BenchError("a watcher could not connect to \(url): \(reason)")
        }
        return RawWatcher(counter: counter, commands: commands, task: task)
    }

    func send(_ text: String) { commands.yield(text) }

    func close() async {
        commands.finish()
        await task.value
    }
}

// MARK: - events: events per second of one long streamed answer

extension GatewayBenchRun {
    /// A long answer of `pieces` words: the fake provider streams one chunk per word.
    static func longAnswer(pieces: Int) -> String {
        (0..<pieces).map { "tok\($0 % 10)" }.joined(separator: " ")
    }

    func eventsWorkload(_ live: InProcessGateway) async throws {
        let pieces = configuration.eventPieces
        let repetitions = configuration.eventRepetitions
        let watcherCount = configuration.watchers
        let answer = Self.longAnswer(pieces: pieces)
        live.fake.reset()
        live.fake.setDefaultReply(.text(answer))
        defer {
            live.fake.reset()
            live.fake.setDefaultReply(.text(Self.replyText))
        }
        let runtime = try await live.host.runtime(for: .main)
        var sequence = 0
        func nextKey(_ prefix: String) async throws -> SessionKey {
            sequence += 1
            let key = try SessionKey("agent:main:\(prefix)\(sequence)")
            try await live.openSessions([key])
            return key
        }

        // The runtime alone: the same answer through `AgentRuntime.run`, its events counted.
        Log.info("2. events: a \(pieces)-piece answer through AgentRuntime.run (no gateway), 1 warm-up + \(repetitions)")
        var runtimeRates: [Double] = []
        var runtimeBusy: [Double] = []
        var runtimeEvents = 0
        for repetition in 0...repetitions {
            let key = try await nextKey("er")
            let cpu = RuntimeBenchRun.processCPUSeconds()
            let start = Stopwatch.nanoseconds()
            let id = "bench-events-runtime-\(sequence)"
            let run = try await runtime.run(AgentRunRequest(message: Self.userMessage, sessionKey: key, stream: true, idempotencyKey: id, runID: id))
            var events = 0
            var outcome: String?
            for await event in run.events where event.runID == run.runID {
                events += 1
                if case .completed(let text, _, _, _) = event.payload { outcome = text }
            }
            let seconds = Double(Stopwatch.nanoseconds() - start) / 1e9
            guard outcome == answer else { throw BenchError("the long run answered \(outcome?.count ?? 0) characters, expected \(answer.count)") }
            runtimeEvents = events
            if repetition > 0 {
                runtimeRates.append(Double(events) / seconds)
                runtimeBusy.append((RuntimeBenchRun.processCPUSeconds() - cpu) / seconds)
            }
        }
        let runtimeRate = Sample(seconds: runtimeRates).median
        Log.info("   \(Self.rate(runtimeRate, "events")) (\(runtimeEvents) runtime events per run)")

        /// `repetitions` runs of the long answer sent by the first of `count` watchers; each
        /// repetition's events/s per connection and in total (every watcher's events over the time
        /// until the last one saw the final).
        func watched(by count: Int) async throws -> (perConnection: Double, total: Double, eventsPerConnection: Int, bytesPerConnection: Int,
                                                     busyCores: Double, cpuPerEvent: Double) {
            var watchers: [RawWatcher] = []
            do {
                for _ in 0..<count { watchers.append(try await RawWatcher.connect(url: live.url, token: live.token)) }
            } catch {
                for watcher in watchers { await watcher.close() }
                throw error
            }
            var perConnection: [Double] = []
            var totals: [Double] = []
            var eventsSeen = 0
            var bytesSeen = 0
            var busy: [Double] = []
            var cpuPerEvent: [Double] = []
            do {
                for repetition in 0...repetitions {
                    let key = try await nextKey("ew")
                    for watcher in watchers { watcher.counter.reset() }
                    let id = "bench-events-\(count)-\(repetition)-\(sequence)"
                    let request: JSONValue = ["type": "req", "id": .string(id), "method": "chat.send",
                                              "params": ["sessionKey": .string(key.value), "message": .string(Self.userMessage), "idempotencyKey": .string(id)]]
                    let cpu = RuntimeBenchRun.processCPUSeconds()
                    let start = Stopwatch.nanoseconds()
                    watchers[0].send(request.jsonText)
                    var results: [(events: Int, bytes: Int, final: UInt64)] = []
                    for watcher in watchers { results.append(try await watcher.counter.waitFinal(timeout: .seconds(120))) }
                    let end = results.map(\.final).max() ?? start
                    let cpuSeconds = RuntimeBenchRun.processCPUSeconds() - cpu
                    let seconds = Double(end - start) / 1e9
                    let events = results.map(\.events).reduce(0, +)
                    eventsSeen = results[0].events
                    bytesSeen = results[0].bytes
                    if repetition > 0 {
                        perConnection.append(Double(results[0].events) / (Double(results[0].final - start) / 1e9))
                        totals.append(Double(events) / seconds)
                        busy.append(cpuSeconds / seconds)
                        cpuPerEvent.append(cpuSeconds / Double(events))
                    }
                }
            } catch {
                for watcher in watchers { await watcher.close() }
                throw error
            }
            for watcher in watchers { await watcher.close() }
            return (Sample(seconds: perConnection).median, Sample(seconds: totals).median, eventsSeen, bytesSeen,
                    Sample(seconds: busy).median, Sample(seconds: cpuPerEvent).median)
        }

        Log.info("2. events: the same answer through the gateway, chat.send and the count on 1 connection")
        let one = try await watched(by: 1)
        Log.info("   \(Self.rate(one.total, "events")) (\(one.eventsPerConnection) agent + chat events per run, "
                 + "\(Format.mebibytes(kib: one.bytesPerConnection / 1024)) of frames)")
        Log.info("2. events: the same answer watched by \(watcherCount) connections (the first sends chat.send)")
        let many = try await watched(by: watcherCount)
        Log.info("   \(Self.rate(many.total, "events")) in total, \(Self.rate(many.perConnection, "events")) on the sender's connection")

        // A runtime text event becomes an `agent` assistant event and a `chat` delta: the rate
        // the gateway could reach if it cost nothing is twice the runtime's.
        let ceiling = runtimeRate * Double(one.eventsPerConnection) / Double(max(1, runtimeEvents))
        let shape = "one run streaming a \(pieces)-piece answer (\(answer.utf8.count) bytes of text)"
        var single = GatewayResultRow(
            id: "events-1",
            workload: "\(shape): `agent` + `chat` events per second received by the one connection that sent chat.send, vs the runtime's own event rate for the same answer",
            gateway: Self.rate(one.total, "events"),
            baseline: "runtime alone: \(Self.rate(runtimeRate, "events")) (\(Self.rate(ceiling, "events")) as gateway events)",
            ratio: one.total / ceiling, ratioMeaning: "gateway/runtime-equivalent rate", goal: ">= 50k events/s", met: one.total >= 50_000,
            repetitions: repetitions,
            values: ["gateway_events_per_second": one.total, "runtime_events_per_second": runtimeRate, "runtime_ceiling_events_per_second": ceiling,
                     "events_per_run": Double(one.eventsPerConnection), "frame_bytes_per_run": Double(one.bytesPerConnection),
                     "runtime_events_per_run": Double(runtimeEvents), "pieces": Double(pieces),
                     "busy_cores": one.busyCores, "cpu_seconds_per_event": one.cpuPerEvent, "runtime_busy_cores": Sample(seconds: runtimeBusy).median])
        single.notes.append(String(format: "the process kept %.2f of its %d cores busy during the run (the runtime alone: %.2f), %@ of CPU per event delivered: "
                                   + "the run is a pipeline of tasks (provider, runtime, the run's watcher, the connection's writer, the client), "
                                   + "each event handed from one to the next.", one.busyCores, machine.cpus, Sample(seconds: runtimeBusy).median,
                                   Format.time(one.cpuPerEvent)))
        single.notes.append("median over \(repetitions) runs after 1 warm-up; timed from chat.send to the chat final. Each piece becomes an `agent` assistant "
                            + "event (carrying the text so far, as OpenClaw's do) and a `chat` delta: \(one.eventsPerConnection) events and "
                            + "\(Format.mebibytes(kib: one.bytesPerConnection / 1024)) of frames per run. The client is a bare WebSocket reader that counts "
                            + "frames by their prefix without decoding them; the fake provider, the runtime, the gateway and the client share the process.")
        single.notes.append("the baseline is the same answer through `AgentRuntime.run` without the gateway (\(runtimeEvents) runtime events per run); "
                            + "the ratio compares with that rate scaled to the gateway's events per run, the most the gateway could deliver from one run here.")
        rows.append(single)
        var fan = GatewayResultRow(
            id: "events-\(watcherCount)",
            workload: "same run watched by \(watcherCount) connections (all receive every event): events delivered per second, all connections together",
            gateway: "\(Self.rate(many.total, "events")) in total (\(Self.rate(many.perConnection, "events")) on the sender's connection)",
            baseline: "1 connection: \(Self.rate(one.total, "events"))",
            ratio: many.total / one.total, ratioMeaning: "\(watcherCount)-connection/1-connection rate", goal: ">= 50k events/s", met: many.total >= 50_000,
            repetitions: repetitions,
            values: ["gateway_events_per_second": many.total, "sender_connection_events_per_second": many.perConnection,
                     "one_connection_events_per_second": one.total, "watchers": Double(watcherCount),
                     "busy_cores": many.busyCores, "cpu_seconds_per_event": many.cpuPerEvent])
        fan.notes.append(String(format: "%.2f cores busy, %@ of CPU per event delivered (the %d clients' reading included).", many.busyCores,
                                Format.time(many.cpuPerEvent), watcherCount))
        fan.notes.append("each event is encoded once and queued to every connection; timed from chat.send until the last watcher saw the final.")
        rows.append(fan)
    }
}
