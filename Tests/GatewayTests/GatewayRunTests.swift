import AgentRuntime
import FakeProvider
import Foundation
@testable import Gateway
import Testing

/// Runs through the gateway: their events to every connection in each protocol's shape, the
/// idempotency of `chat.send`, abort, the per-session queue across connections, the global
/// bound on runs, and 100 runs at once.
@Suite struct GatewayRunTests {
    static func isFinal(_ runID: String) -> @Sendable ([GatewaySession.Event]) -> Bool {
        { events in events.contains { $0.name == "chat" && $0.payload["runId"]?.stringValue == runID && $0.payload["state"] != "delta" } }
    }

    static func chats(_ events: [GatewaySession.Event], _ runID: String) -> [JSONValue] {
        events.filter { $0.name == "chat" && $0.payload["runId"]?.stringValue == runID }.map(\.payload)
    }

    static func text(of message: JSONValue?) -> String? { message?["content"]?.arrayValue?.first?["text"]?.stringValue }

    @Test func aRunStreamsToItsStarterAndToAWatcherInEachProtocolsShape() async throws {
        try await GatewayFixture.with { fixture in
            let answer = "Hello there, dear watcher of runs"
            fixture.fake.enqueue(.toolCalls([FakeToolCall(id: "c1", name: "ls", argumentsJSON: "{}")], text: nil), .text(answer))
            let v3 = {
                var identity = GatewayClient.Identity()
                (identity.minProtocol, identity.maxProtocol) = (3, 3)
                return identity
            }()
            let tools = {
                var identity = GatewayClient.Identity()
                identity.caps = ["tool-events"]
                return identity
            }()
            let (mine, theirs) = try await fixture.connect(identity: tools) { starter in
                try await fixture.connect(identity: v3) { watcher in
                    let ack = try await starter.call("chat.send", params: ["sessionKey": "main", "message": "hi", "idempotencyKey": "run-1"])
                    #expect(ack == ["runId": "run-1", "status": "started"], "acknowledged at once, the key is the run id")
                    async let mine = collectEvents(starter, until: Self.isFinal("run-1"))
                    async let theirs = collectEvents(watcher, until: Self.isFinal("run-1"))
                    return try await (mine, theirs)
                }
            }
            // Protocol 4: deltas carry deltaText (the first also the message so far).
            let v4Chat = Self.chats(mine, "run-1")
            let v4Deltas = v4Chat.filter { $0["state"] == "delta" }
            #expect(!v4Deltas.isEmpty)
            #expect(v4Deltas.compactMap { $0["deltaText"]?.stringValue }.joined() == answer)
            #expect(Self.text(of: v4Chat.last?["message"]) == answer)
            #expect(v4Chat.last?["state"] == "final")
            #expect(v4Chat.map { $0["seq"]?.intValue ?? 0 } == Array(1...v4Chat.count), "chat seq counts from 1 per run")
            // Protocol 3: each delta carries the whole text so far, and no deltaText.
            let v3Deltas = Self.chats(theirs, "run-1").filter { $0["state"] == "delta" }
            #expect(v3Deltas.allSatisfy { $0["deltaText"] == nil })
            let cumulative = v3Deltas.compactMap { Self.text(of: $0["message"]) }
            #expect(cumulative.last == answer)
            #expect(zip(cumulative, cumulative.dropFirst()).allSatisfy { $1.hasPrefix($0) })
            // agent events: per-run seq from 1, lifecycle start first and end last, runId and
            // sessionKey on every one; tool events only for the connection with the cap.
            for events in [mine, theirs] {
                let agent = events.filter { $0.name == "agent" }.map(\.payload)
                let shared = agent.filter { $0["stream"] != "tool" }
                #expect(shared.map { $0["seq"]?.intValue ?? 0 } == Array(1...shared.count), "no gap, whatever the caps")
                #expect(zip(agent, agent.dropFirst()).allSatisfy { ($0["seq"]?.intValue ?? 0) <= ($1["seq"]?.intValue ?? 0) })
                #expect(agent.first?["stream"] == "lifecycle" && agent.first?["data"]?["phase"] == "start")
                #expect(agent.last?["stream"] == "lifecycle" && agent.last?["data"]?["phase"] == "end")
                #expect(agent.allSatisfy { $0["runId"] == "run-1" && $0["sessionKey"] == "agent:main:main" })
                #expect(agent.contains { $0["stream"] == "assistant" && $0["data"]?["delta"] != nil })
            }
            let assistant = { (events: [GatewaySession.Event]) in events.filter { $0.name == "agent" && $0.payload["stream"] == "assistant" }.map(\.payload) }
            #expect(assistant(mine).allSatisfy { $0["data"]?["text"] == nil }, "protocol 4: the delta only")
            #expect(assistant(theirs).last?["data"]?["text"]?.stringValue == answer, "protocol 3: the text so far too")
            #expect(mine.contains { $0.name == "agent" && $0.payload["stream"] == "tool" && $0.payload["data"]?["name"] == "ls" })
            #expect(!theirs.contains { $0.name == "agent" && $0.payload["stream"] == "tool" })
            #expect(mine.filter { $0.payload["stream"] == "tool" }.allSatisfy { $0.seq == nil }, "tool events are not broadcast, so carry no seq")
            let broadcastSeqs = theirs.compactMap(\.seq)
            #expect(zip(broadcastSeqs, broadcastSeqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "the watcher sees no gap in the broadcast seq")
            #expect(Self.chats(theirs, "run-1").allSatisfy { $0["sessionKey"] == "agent:main:main" })
        }
    }

    @Test func aRepeatedKeyNeverRunsTwice() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.enqueue(.stall(text: "thinking"))
            try await fixture.connect { first in
                try await fixture.connect { second in
                    let params: JSONValue = ["sessionKey": "agent:main:k", "message": "once", "idempotencyKey": "same-key"]
                    #expect(try await first.call("chat.send", params: params)["status"] == "started")
                    #expect(try await second.call("chat.send", params: params)["status"] == "in_flight", "a repeat while it runs")
                    let other = try await second.send("chat.send", params: ["sessionKey": "agent:main:other", "message": "x", "idempotencyKey": "same-key"])
                    #expect(other.first?["error"]?["message"]?.stringValue?.contains("another session") == true)

                    _ = try await collectEvents(second) { seen in seen.contains { $0.name == "chat" && $0.payload["state"] == "delta" } }
                    async let ended = collectEvents(second, until: Self.isFinal("same-key"))
                    let abort = try await second.call("chat.abort", params: ["sessionKey": "agent:main:k", "runId": "same-key"])
                    #expect(abort["aborted"] == true)
                    #expect(abort["runIds"] == ["same-key"])
                    let last = Self.chats(try await ended, "same-key").last
                    #expect(last?["state"] == "aborted")
                    #expect(Self.text(of: last?["message"]) == "thinking", "the partial text comes with the abort")

                    let waited = try await first.call("agent.wait", params: ["runId": "same-key", "timeoutMs": 5000])
                    #expect(waited["stopReason"] == "aborted")
                    #expect(try await first.call("chat.send", params: params)["status"] == "aborted", "a repeat after the end answers its outcome")
                    #expect(try await first.call("chat.abort", params: ["sessionKey": "agent:main:k"])["aborted"] == false, "nothing left to abort")

                    let history = try await first.call("chat.history", params: ["sessionKey": "agent:main:k"])
                    let users = (history["messages"]?.arrayValue ?? []).filter { $0["role"] == "user" }
                    #expect(users.count == 1, "one user message however many sends")
                }
            }
            #expect(fixture.fake.requestCount == 1)
        }
    }

    @Test func aRunPastItsTimeoutIsAborted() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.enqueue(.stall(text: "slow"), .text("quick"))
            try await fixture.connect { session in
                async let ended = collectEvents(session, until: Self.isFinal("slow-1"))
                _ = try await session.call("chat.send", params: ["sessionKey": "agent:main:t", "message": "x", "idempotencyKey": "slow-1", "timeoutMs": 300])
                let last = Self.chats(try await ended, "slow-1").last
                #expect(last?["state"] == "aborted")
                #expect(last?["reason"]?.stringValue?.contains("timeout of 300 ms") == true)
                // A run that ends in time is not touched by its timer.
                async let quick = collectEvents(session, until: Self.isFinal("quick-1"))
                _ = try await session.call("chat.send", params: ["sessionKey": "agent:main:t", "message": "y", "idempotencyKey": "quick-1", "timeoutMs": 60000])
                #expect(Self.chats(try await quick, "quick-1").last?["state"] == "final")
            }
        }
    }

    @Test func anAgentWaitPipelinedBehindTheChatSendOfItsRunFindsTheRun() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.setLatency(.milliseconds(100))
            for index in 0..<3 { fixture.fake.enqueue(.text("answer \(index)")) }
            try await fixture.connect { session in
                for index in 0..<3 {
                    let runID = JSONValue.string("piped-\(index)")
                    // Written back to back: the server reads agent.wait before chat.send is answered.
                    let answers = try await session.sendPipelined([
                        ("chat.send", ["sessionKey": "agent:main:piped", "message": "go", "idempotencyKey": runID]),
                        ("agent.wait", ["runId": runID, "timeoutMs": 30_000]),
                    ])
                    #expect(answers.first?["ok"] == true && answers.first?["payload"]?["status"] == "started")
                    #expect(answers.last?["ok"] == true, "agent.wait knows the run: \(answers.last ?? .null)")
                    #expect(answers.last?["payload"]?["status"] == "ok" && answers.last?["payload"]?["runId"] == runID)
                }
                // A pipelined start that fails is settled too: the wait answers at once that the run is unknown.
                let failed = try await session.sendPipelined([
                    ("chat.send", ["sessionKey": "agent:main:piped", "message": "", "idempotencyKey": "never-started"]),
                    ("agent.wait", ["runId": "never-started", "timeoutMs": 30_000]),
                ])
                #expect(failed.first?["ok"] == false)
                #expect(failed.last?["error"]?["code"] == "AGENT_RESULT_NOT_FOUND")
            }
        }
    }

    @Test func theAgentMethodAnswersTwiceWithOneID() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.enqueue(.text("two phases"))
            let frames = try await fixture.connect { session in
                try await session.send("agent", params: ["message": "go", "idempotencyKey": "agent-1", "sessionKey": "agent:main:a"], id: "x", responses: 2)
            }
            #expect(frames.count == 2)
            #expect(frames.allSatisfy { $0["id"] == "x" && $0["ok"] == true })
            #expect(frames.first?["payload"]?["status"] == "accepted")
            #expect(frames.first?["payload"]?["runId"] == "agent-1")
            #expect(frames.last?["payload"]?["status"] == "ok")
            #expect(frames.last?["payload"]?["result"]?["payloads"] == [["text": "two phases"]])
        }
    }

    @Test func runsOfOneSessionQueueAcrossConnections() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.setLatency(.milliseconds(150))
            fixture.fake.enqueue(.text("first answer"), .text("second answer"))
            let events = try await fixture.connect { watcher in
                try await fixture.connect { a in
                    try await fixture.connect { b in
                        _ = try await a.call("chat.send", params: ["sessionKey": "agent:main:q", "message": "one", "idempotencyKey": "q-1"])
                        // The second is sent while the first runs (its start seen, its answer 150 ms away).
                        let first = try await collectEvents(watcher) { seen in seen.contains { $0.name == "agent" && $0.payload["runId"] == "q-1" } }
                        _ = try await b.call("chat.send", params: ["sessionKey": "agent:main:q", "message": "two", "idempotencyKey": "q-2"])
                        return try await first + collectEvents(watcher) { seen in Self.isFinal("q-1")(seen) && Self.isFinal("q-2")(seen) }
                    }
                }
            }
            let lifecycle = events.filter { $0.name == "agent" && $0.payload["stream"] == "lifecycle" }
                .map { "\($0.payload["runId"]?.stringValue ?? "?"):\($0.payload["data"]?["phase"]?.stringValue ?? "?")" }
            #expect(lifecycle == ["q-1:start", "q-1:end", "q-2:start", "q-2:end"], "the second run starts after the first ends")
            let history = try await fixture.connect { session in try await session.call("chat.history", params: ["sessionKey": "agent:main:q"]) }
            let texts = (history["messages"]?.arrayValue ?? []).compactMap { Self.text(of: $0) }
            #expect(texts == ["one", "first answer", "two", "second answer"])
        }
    }

    @Test func aHundredRunsAcrossAHundredSessionsPastTheRunBound() async throws {
        try await GatewayFixture.with(configure: { $0.maxRuns = 8 }) { fixture in
            fixture.fake.setLatency(.milliseconds(30))
            fixture.fake.setDefaultReply(.text("done"))
            let monitor = Task {
                var most = 0
                while !Task.isCancelled {
                    most = max(most, fixture.gateway.runs.activeCount)
                    try? await Task.sleep(for: .milliseconds(2))
                }
                return most
            }
            let statuses = try await fixture.connect { session in
                async let finals = collectEvents(session, timeout: .seconds(120)) { seen in
                    seen.count { $0.name == "chat" && $0.payload["state"] == "final" } == 100
                }
                let acks = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<100 {
                        group.addTask {
                            try await session.call("chat.send", params: ["sessionKey": .string("agent:main:s\(index)"), "message": "go",
                                                                         "idempotencyKey": .string("many-\(index)")])["status"]?.stringValue ?? "?"
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                let finished = try await finals
                return (acks, finished.filter { $0.name == "chat" && $0.payload["state"] == "final" }.map(\.payload))
            }
            monitor.cancel()
            let most = await monitor.value
            #expect(statuses.0.count == 100 && statuses.0.allSatisfy { $0 == "started" })
            #expect(Set(statuses.1.compactMap { $0["runId"]?.stringValue }).count == 100)
            #expect(statuses.1.allSatisfy { Self.text(of: $0["message"]) == "done" })
            #expect(most <= 8, "never more runs at once than the bound (saw \(most))")
            #expect(fixture.gateway.slots.waiting == 0)
            #expect(fixture.fake.requestCount == 100)
            let sessions = try await fixture.connect { session in try await session.call("sessions.list", params: ["limit": 500]) }
            #expect((sessions["sessions"]?.arrayValue ?? []).count >= 100)
        }
    }
}
