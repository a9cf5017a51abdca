import FakeProvider
import Foundation
import Testing
import VFS
@testable import AgentRuntime

/// The runtime as a server hosts it: runs as event streams, aborts by run id, one run at a time
/// per session, idempotency keys in flight, and nothing blocking the concurrency threads.
@Suite struct RunServiceTests {
    /// Reads a run's events to the end.
    private static func collect(_ run: AgentRun) async -> [AgentRunEvent] {
        var events: [AgentRunEvent] = []
        for await event in run.events { events.append(event) }
        return events
    }

    /// Waits until `condition` holds (or fails the test after 60 s).
    private static func waitUntil(_ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func aRunIsANumberedStreamOfCodableEventsWithOneTerminalEvent() async throws {
        try await RuntimeFixture.with { fixture in
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/notes.md", contents: Data("hello\n".utf8))
            fixture.fake.enqueue(.toolCalls([fakeCall("c1", "read", ["path": "notes.md"])], text: nil), .text("it says hello"))
            let run = try await fixture.runtime.run(AgentRunRequest(message: "what does notes.md say?", stream: false))
            #expect(run.disposition == .started)
            let events = await Self.collect(run)
            #expect(events.map(\.seq) == Array(1...events.count), "numbered from 1 without gaps")
            #expect(events.allSatisfy { $0.runID == run.runID && $0.sessionKey == .main(.main) && $0.parentRunID == nil })
            #expect(events.map(\.type) == ["started", "turn_completed", "tool_call", "tool_result", "text", "turn_completed", "completed"])
            #expect(events.filter(\.isTerminal).count == 1)
            #expect(events.last?.payload == .completed(text: "it says hello", usage: events.last.map { event -> TokenUsage in
                if case .completed(_, let usage, _, _) = event.payload { return usage }
                return TokenUsage()
            } ?? TokenUsage(), turns: 2, toolCalls: 1))
            let encoder = JSONEncoder()
            for event in events {
                let data = try encoder.encode(event)
                let decoded = try JSONDecoder().decode(AgentRunEvent.self, from: data)
                #expect(decoded == event, "\(event.type) round-trips through JSON: \(String(decoding: data, as: UTF8.self))")
                let object = try JSONValue.parse(String(decoding: data, as: UTF8.self))
                #expect(object["runId"]?.stringValue == run.runID && object["seq"]?.intValue == event.seq && object["type"]?.stringValue == event.type)
            }
        }
    }

    /// A run's first request goes out while its start commits; whatever the model streams back
    /// before then is reported after `started`, in order, and recorded after the user message.
    @Test func aFirstRequestSentWhileTheStartCommitsKeepsTheRunsEventsInOrder() async throws {
        try await RuntimeFixture.with { fixture in
            let answer = "one two three four five six seven eight"
            fixture.fake.setDefaultReply(.text(answer))
            let keys = try (0..<24).map { try SessionKey("agent:main:early-\($0)") }
            let runs = try await withThrowingTaskGroup(of: [AgentRunEvent].self) { group in
                for key in keys {
                    group.addTask { await Self.collect(try await fixture.runtime.run(AgentRunRequest(message: "count for \(key)", sessionKey: key))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(runs.count == keys.count && fixture.fake.requestCount == keys.count, "one request per run")
            for events in runs {
                #expect(events.first?.type == "started", "\(events.map(\.type))")
                #expect(events.map(\.seq) == Array(1...events.count))
                let text = events.compactMap { event -> String? in
                    if case .text(let piece) = event.payload { return piece }
                    return nil
                }
                #expect(text.count > 1 && text.joined() == answer, "streamed in pieces, all of them after started: \(text)")
                #expect(events.last?.type == "completed")
            }
            for key in keys {
                let session = try #require(try fixture.runtime.sessions.session(key))
                let types = try fixture.runtime.sessions.events(session.sessionID).map { $0.type == "message" ? "message:\($0.json["message"]?["role"]?.stringValue ?? "")" : $0.type }
                #expect(types == ["session", "message:user", "run_start", "message:assistant", "run_end"])
            }

            // Aborted as soon as it is acknowledged, with its first request in flight.
            fixture.fake.enqueue(.stall(text: "never seen "))
            let run = try await fixture.runtime.run(AgentRunRequest(message: "stop at once"))
            #expect(fixture.runtime.abort(runID: run.runID, reason: "stopped at once"))
            let events = await Self.collect(run)
            #expect(events.first?.type == "started" || events.first?.type == "aborted")
            #expect(events.last?.payload == .aborted(reason: "stopped at once", partialText: events.last.flatMap { event -> String? in
                if case .aborted(_, let partial) = event.payload { return partial }
                return nil
            } ?? ""))
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.type == "run_end" && end.json["status"] == "aborted")
        }
    }

    @Test func aToolReadingAMissingFileReportsENOENT() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.toolCalls([fakeCall("c1", "read", ["path": "missing.md"])], text: nil), .text("no such file"))
            let events = await Self.collect(try await fixture.runtime.run(AgentRunRequest(message: "read missing.md")))
            let outcome = try #require(events.compactMap { event -> ToolOutcome? in
                if case .toolResult(_, let outcome) = event.payload { return outcome }
                return nil
            }.first)
            #expect(outcome.isError)
            #expect(outcome.details["errno"] == "ENOENT")
            #expect(outcome.text.contains("ENOENT") || outcome.text.contains("No such file"))
        }
    }

    @Test func aRunIsAbortedByItsIDFromAnotherTaskKeepingItsPartialText() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.stall(text: "thinking "))
            let run = try await fixture.runtime.run(AgentRunRequest(message: "long job"))
            let streamed = StreamedEvents()
            let events = Task {
                var all: [AgentRunEvent] = []
                for await event in run.events {
                    all.append(event)
                    streamed.append(event)
                }
                return all
            }
            // The abort comes once the run has streamed its partial text (no fixed sleep).
            try await Self.waitUntil("the partial text is streamed") { streamed.contains(.text("thinking ")) }
            let aborter = Task { fixture.runtime.abort(runID: run.runID, reason: "stopped by the test") }
            #expect(await aborter.value)
            let seen = await events.value
            #expect(seen.last?.payload == .aborted(reason: "stopped by the test", partialText: "thinking "))
            #expect(seen.filter(\.isTerminal).count == 1)
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.type == "run_end")
            #expect(end.json["status"] == "aborted")
            #expect(end.json["error"]?["message"] == "stopped by the test")
            #expect(end.json["error"]?["partialText"] == "thinking ")
            #expect(!fixture.runtime.abort(runID: run.runID), "an ended run is no longer in flight")
            #expect(!fixture.runtime.abort(runID: "no-such-run"))
        }
    }

    @Test func waitingForTheOutcomeAloneGetsTheResultAnAbortAndACancelledWaiterLeavesTheRunGoing() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.text("the answer"))
            let done = try await fixture.runtime.run(AgentRunRequest(message: "answer", stream: false))
            let result = try await done.result()
            #expect(result.text == "the answer" && result.turns == 1 && result.runID == done.runID)
            #expect(result.sessionID == (try fixture.runtime.sessions.session(.main(.main))?.sessionID))
            #expect(result.model == ModelReference(provider: "fake", model: "m1"))
            // A second wait on an ended run answers at once with the same outcome.
            #expect(try await done.result().text == "the answer")

            fixture.fake.enqueue(.stall(text: "partial "))
            let stalled = try await fixture.runtime.run(AgentRunRequest(message: "long job"))
            let cancelledWaiter = Task { try await stalled.result() }
            try await Self.waitUntil("the model streams") { fixture.fake.requestCount == 2 }
            cancelledWaiter.cancel()
            await #expect(throws: AgentRuntimeError.self) { try await cancelledWaiter.value }
            #expect(fixture.runtime.registry.activeRunIDs.contains(stalled.runID), "cancelling a waiter does not stop the run")
            let waiter = Task { try await stalled.result() }
            try await Task.sleep(for: .milliseconds(50))
            #expect(fixture.runtime.abort(runID: stalled.runID, reason: "stopped by the test"))
            let failure = await #expect(throws: AgentRuntimeError.self) { try await waiter.value }
            #expect(failure?.code == .aborted && failure?.message == "stopped by the test")
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.type == "run_end" && end.json["status"] == "aborted")
        }
    }

    @Test func runsOfOneSessionTakeTurnsInOrder() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.setLatency(.milliseconds(150))
            fixture.fake.enqueue(.text("first answer"), .text("second answer"))
            let arrivals = LockedValue<[AgentRunEvent]>([])
            let first = try await fixture.runtime.run(AgentRunRequest(message: "one"))
            let second = try await fixture.runtime.run(AgentRunRequest(message: "two"))
            #expect(try fixture.runtime.sessions.pendingRuns().map(\.message).contains("two"),
                    "a run waiting for its turn is on disk before run() returns")
            async let a: Void = { for await event in first.events { arrivals.withLock { $0.append(event) } } }()
            async let b: Void = { for await event in second.events { arrivals.withLock { $0.append(event) } } }()
            _ = await (a, b)
            let order = arrivals.withLock { $0 }
            let firstEnd = try #require(order.firstIndex { $0.runID == first.runID && $0.isTerminal })
            let secondStart = try #require(order.firstIndex { $0.runID == second.runID })
            #expect(firstEnd < secondStart, "the second run starts after the first ended")
            #expect(order.last?.payload == .completed(text: "second answer", usage: TokenUsage(inputTokens: 0, outputTokens: 0), turns: 1, toolCalls: 0)
                    || order.last.map { $0.runID == second.runID && $0.isTerminal } == true)
            // The transcript holds the runs one after the other, never interleaved.
            let marks = try fixture.mainEvents().compactMap { event -> String? in
                switch event.type {
                case "run_start": return "start:\(event.json["runId"]?.stringValue ?? "")"
                case "run_end": return "end:\(event.json["runId"]?.stringValue ?? "")"
                case "message" where event.json["message"]?["role"] == "user": return "user"
                default: return nil
                }
            }
            #expect(marks == ["user", "start:\(first.runID)", "end:\(first.runID)", "user", "start:\(second.runID)", "end:\(second.runID)"])
            #expect(try fixture.runtime.sessions.pendingRuns().isEmpty, "a started run's pending row went with its start")
        }
    }

    @Test func aPendingRunOfAKilledProcessIsRecoveredWithItsMessageAndNoSecret() async throws {
        let secret = "correcthorsebatterystaple"
        try await RuntimeFixture.with(environment: ["FAKE_API_KEY": secret]) { fixture in
            let key = try SessionKey("agent:main:lost")
            let sessions = fixture.runtime.sessions
            _ = try await sessions.recordPending(runID: "lost-1", key: key, idempotencyKey: "lost-1", message: "my key is \(secret), use it")
            // As a process that died left it.
            try fixture.runtime.agentDatabase.writeWithoutTransaction { db in
                try db.execute(sql: #"UPDATE pending_runs SET owner_json = '{"pid":2147480000,"bootId":"an-earlier-boot","startTicks":1}'"#)
            }
            #expect(try await fixture.runtime.recoverInterruptedRuns().map(\.runID) == ["lost-1"])
            #expect(try sessions.pendingRuns().isEmpty)
            let summary = try #require(try sessions.session(key))
            let events = try sessions.events(summary.sessionID)
            let user = try #require(events.first { $0.type == "message" })
            #expect(user.json.description.contains("my key is "), "\(user.json)")
            #expect(!user.json.description.contains(secret), "the provider's key is redacted: \(user.json)")
            #expect(events.last?.type == "run_end" && events.last?.json["status"] == "interrupted")
            // The key's outcome is recorded: a repeat does not run it.
            let again = try await fixture.runtime.run(AgentRunRequest(message: "my key is", sessionKey: key, idempotencyKey: "lost-1"))
            #expect(again.disposition == .finished)
            #expect(try await fixture.runtime.recoverInterruptedRuns().isEmpty, "recovery is done once")
        }
    }

    @Test func aRunWaitingForItsSessionCanBeAbortedAndWritesNothing() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.stall(text: "busy "))
            let holder = try await fixture.runtime.run(AgentRunRequest(message: "hold the session"))
            let waiting = try await fixture.runtime.run(AgentRunRequest(message: "wait"))
            try await Self.waitUntil("the first run calls the model") { fixture.fake.requestCount == 1 }
            #expect(fixture.runtime.abort(runID: waiting.runID, reason: "not needed"))
            let waited = await Self.collect(waiting)
            #expect(waited.map(\.payload) == [.aborted(reason: "not needed", partialText: "")])
            #expect(waited.first?.seq == 1)
            fixture.runtime.abort(runID: holder.runID)
            _ = await Self.collect(holder)
            let users = try fixture.mainEvents().filter { $0.json["message"]?["role"] == "user" }
            #expect(users.count == 1, "the aborted waiting run wrote nothing")
            #expect(try fixture.runtime.sessions.pendingRuns().isEmpty, "nor left a pending row")
            #expect(fixture.fake.requestCount == 1)
        }
    }

    @Test func anIdempotencyKeyInFlightAnswersItsRunAndAFinishedOneItsOutcome() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.setLatency(.milliseconds(300))
            fixture.fake.enqueue(.text("the answer"))
            let first = try await fixture.runtime.run(AgentRunRequest(message: "once", idempotencyKey: "k1"))
            let again = try await fixture.runtime.run(AgentRunRequest(message: "once", idempotencyKey: "k1"))
            #expect(again.disposition == .inFlight)
            #expect(again.runID == first.runID)
            do {
                _ = try await again.result()
                Issue.record("an in-flight key has no outcome yet")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .inFlight)
            }
            let answer = try await first.result()
            #expect(answer.text == "the answer")
            let later = try await fixture.runtime.run(AgentRunRequest(message: "once", idempotencyKey: "k1"))
            #expect(later.disposition == .finished)
            #expect(later.runID == first.runID)
            let recorded = try await later.result()
            #expect(recorded.text == "the answer")
            #expect(recorded.sessionID == answer.sessionID)
            #expect(recorded.model == answer.model)
            #expect(fixture.fake.requestCount == 1, "neither ran again")
            let users = try fixture.mainEvents().filter { $0.json["message"]?["role"] == "user" }
            #expect(users.count == 1)
        }
    }

    @Test func aFailedRunsIdempotencyKeyAnswersItsRecordedFailure() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.setKeyRule(RuntimeFixture.key, .unauthorized)
            await #expect(throws: AgentRuntimeError.self) { try await fixture.runtime.run(AgentRunRequest(message: "do it", idempotencyKey: "k1")).result() }
            fixture.fake.setKeyRule(RuntimeFixture.key, nil)
            let repeated = try await fixture.runtime.run(AgentRunRequest(message: "do it", idempotencyKey: "k1"))
            #expect(repeated.disposition == .finished)
            do {
                _ = try await repeated.result()
                Issue.record("the recorded failure is the answer")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .authentication)
            }
            #expect(fixture.fake.requestCount == 1)
        }
    }
}

/// Measures what the concurrency threads feel while many runs use their tools. Run alone
/// (scripts/test.sh gives it a process of its own): other tests' own blocking calls would be
/// measured too.
@Suite struct ConcurrencyStallTests {
    private static func collect(_ run: AgentRun) async -> [AgentRunEvent] {
        var events: [AgentRunEvent] = []
        for await event in run.events { events.append(event) }
        return events
    }

    /// 64 runs whose tools grep a large workspace, on the cooperative pool of this machine (two
    /// threads on two cores): a trivial task that wakes every 5 ms is never late by 50 ms.
    @Test func heavyToolsDoNotStallTheConcurrencyThreads() async throws {
        try await RuntimeFixture.with { fixture in
            let workspace = try fixture.runtime.fileSystem.namespace("workspace")
            let line = String(repeating: "lorem ipsum dolor sit amet ", count: 3) + "\n"
            let body = Data(String(repeating: line, count: 200).utf8)
            try fixture.runtime.fileSystem.transaction { _ in
                for index in 0..<60 { _ = try workspace.writeFile("/corpus/file-\(index).txt", contents: body) }
            }
            let runs = 64
            fixture.fake.enqueue(contentsOf: Array(repeating: .toolCalls([fakeCall("g", "grep", ["pattern": "a[m]et\\s+$|z{3}q"])], text: nil), count: runs))
            fixture.fake.setDefaultReply(.text("done"))

            let finished = LockedValue(false)
            let ticker = Task { () -> (worst: Duration, ticks: Int) in
                var worst = Duration.zero
                var ticks = 0
                while !finished.withLock({ $0 }) {
                    let before = ContinuousClock.now
                    try? await Task.sleep(for: .milliseconds(5))
                    worst = max(worst, ContinuousClock.now - before - .milliseconds(5))
                    ticks += 1
                }
                return (worst, ticks)
            }
            let started = ContinuousClock.now
            let outcomes = try await withThrowingTaskGroup(of: [AgentRunEvent].self) { group in
                for index in 0..<runs {
                    let run = try await fixture.runtime.run(AgentRunRequest(message: "grep \(index)", sessionKey: try SessionKey("agent:main:grep-\(index)")))
                    group.addTask { await Self.collect(run) }
                }
                var all: [[AgentRunEvent]] = []
                for try await events in group { all.append(events) }
                return all
            }
            let elapsed = ContinuousClock.now - started
            finished.withLock { $0 = true }
            let (worst, ticks) = await ticker.value
            print("64 runs with greps: \(elapsed); the 5 ms ticker was at most \(worst) late over \(ticks) ticks")
            #expect(outcomes.count == runs)
            #expect(outcomes.allSatisfy { $0.filter(\.isTerminal).count == 1 })
            let greps = outcomes.flatMap { $0 }.filter { if case .toolResult = $0.payload { return true } else { return false } }
            #expect(greps.count == runs, "every grep ran")
            #expect(worst < .milliseconds(50), "a trivial task was stalled \(worst)")
        }
    }
}

/// The events a run has streamed so far, read from another task.
private final class StreamedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var payloads: [AgentRunEvent.Payload] = []

    func append(_ event: AgentRunEvent) {
        lock.lock()
        payloads.append(event.payload)
        lock.unlock()
    }

    func contains(_ payload: AgentRunEvent.Payload) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return payloads.contains(payload)
    }
}
