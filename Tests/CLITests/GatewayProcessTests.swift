import AgentRuntime
import FakeProvider
import Foundation
import Gateway
import Testing

/// `openclaw gateway run` as a process: `openclaw agent` goes through it (and `--local` does not),
/// and a gateway killed with runs in flight marks them interrupted when it starts again.
@Suite struct GatewayProcessTests {
    static let token = "gateway-process-test-token"

    /// Starts `openclaw gateway run --port 0` and returns it with its URL.
    static func startGateway(_ fixture: RuntimeFixture) async throws -> (RunningCLI, String) {
        let gateway = try RunningCLI(arguments: ["gateway", "run", "--port", "0", "--drain-timeout", "2", "--state", fixture.state],
                                     environment: RuntimeFixture.keyEnvironment.merging(["OPENCLAW_GATEWAY_TOKEN": token]) { $1 })
        let ready = await gateway.waitForOutput(containing: "gateway listening on ws://127.0.0.1:", timeout: .seconds(30))
        try #require(ready, "the gateway did not start: \(gateway.errors)")
        let line = try #require(gateway.output.split(separator: "\n").first { $0.hasPrefix("gateway listening on ") })
        return (gateway, String(line.dropFirst("gateway listening on ".count)))
    }

    static func stop(_ gateway: RunningCLI) async {
        gateway.signal(SIGTERM)
        let exited = await gateway.waitForExit(timeout: .seconds(15))
        #expect(exited)
        #expect(gateway.status == 0, "\(gateway.errors)")
    }

    static func chatEnds(_ events: [GatewaySession.Event], _ runID: String? = nil) -> Bool {
        events.contains { $0.name == "chat" && $0.payload["state"] != "delta" && (runID == nil || $0.payload["runId"]?.stringValue == runID) }
    }

    @Test func agentGoesThroughARunningGatewayAndLocalStaysInProcess() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let (gateway, url) = try await Self.startGateway(fixture)
            let environment = RuntimeFixture.keyEnvironment.merging(["OPENCLAW_GATEWAY_TOKEN": Self.token]) { $1 }
            try await GatewayClient.connect(url: url, token: Self.token) { watcher in
                fixture.fake.enqueue(.text("answered through the gateway"))
                let through = try await fixture.run(["agent", "-m", "hello", "--idempotency-key", "via-gw"], environment: environment)
                #expect(through.status == 0, "\(through.stderr)")
                #expect(through.stdout == "answered through the gateway\n")
                let seen = try await Self.collect(watcher) { Self.chatEnds($0, "via-gw") }
                #expect(seen.contains { $0.name == "chat" && $0.payload["sessionKey"] == "agent:main:main" }, "a client of the gateway saw the CLI's run")

                // --json, and a repeated key answers the recorded run without running it again.
                let repeated = try await fixture.json(["agent", "-m", "hello", "--idempotency-key", "via-gw", "--json"], environment: environment)
                #expect(repeated["text"] as? String == "answered through the gateway")
                #expect(repeated["repeated"] as? Bool == true)
                #expect(repeated["runId"] as? String == "via-gw")
                #expect((repeated["sessionId"] as? String)?.isEmpty == false)
                #expect(fixture.fake.requestCount == 1)

                // A failure says what the in-process run says, with the same exit status.
                fixture.fake.enqueue(.error(status: 401, type: "authentication_error", message: "bad key"))
                let failed = try await fixture.run(["agent", "-m", "again"], environment: environment)
                #expect(failed.status == 1)
                #expect(failed.stderr.contains("authentication"), "\(failed.stderr)")

                // --local runs in this process: no gateway client sees it.
                fixture.fake.enqueue(.text("answered in process"))
                let local = try await fixture.run(["agent", "-m", "hi", "--local", "--session", "solo"], environment: environment)
                #expect(local.status == 0, "\(local.stderr)")
                #expect(local.stdout == "answered in process\n")
                let history = try await watcher.call("chat.history", params: ["sessionKey": "agent:main:solo"])
                #expect((history["messages"]?.arrayValue ?? []).count == 2, "the gateway reads what the local run wrote")
            }
            await Self.stop(gateway)
        }
    }

    @Test func aGatewayKilledWithRunsInFlightMarksThemInterruptedOnRestart() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.stall(text: "half an answer"))
            let (first, url) = try await Self.startGateway(fixture)
            try await GatewayClient.connect(url: url, token: Self.token) { session in
                #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:k", "message": "long", "idempotencyKey": "doomed"])["status"] == "started")
                _ = try await Self.collect(session) { $0.contains { $0.name == "chat" && $0.payload["state"] == "delta" } }
                // Two more runs of the busy session, acknowledged and waiting for their turn.
                for (key, message) in [("queued-1", "second"), ("queued-2", "third")] {
                    #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:k", "message": .string(message), "idempotencyKey": .string(key)])["status"] == "started")
                }
            }
            first.signal(SIGKILL)
            #expect(await first.waitForExit(timeout: .seconds(10)))

            let (second, again) = try await Self.startGateway(fixture)
            let show = try await fixture.json(["sessions", "show", "agent:main:k", "--json"])
            let events = try RuntimeFixture.events(show)
            let ends = events.filter { $0.type == "run_end" }
            #expect(ends.map { $0.event["runId"] as? String } == ["doomed", "queued-1", "queued-2"],
                    "the run in flight and the two acknowledged behind it are each ended")
            #expect(ends.allSatisfy { $0.event["status"] as? String == "interrupted" })
            #expect(ends.allSatisfy { ($0.event["error"] as? [String: Any])?["message"] as? String != nil })
            #expect(RuntimeFixture.texts(events, role: "user") == ["long", "second", "third"], "no acknowledged message is lost, and their order is kept")

            fixture.fake.enqueue(.text("a fresh start"))
            try await GatewayClient.connect(url: again, token: Self.token) { session in
                #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:k", "message": "long", "idempotencyKey": "doomed"])["status"] == "error",
                        "the interrupted run's key answers its outcome, and is not run again")
                #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:k", "message": "second", "idempotencyKey": "queued-1"])["status"] == "error",
                        "so does the key of a run interrupted before it started")
                #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:k", "message": "next", "idempotencyKey": "fresh"])["status"] == "started")
                let events = try await Self.collect(session) { Self.chatEnds($0, "fresh") }
                #expect(events.last { $0.name == "chat" }?.payload["state"] == "final")
            }
            await Self.stop(second)
            let doctor = try await fixture.run(["doctor", "--json"])
            #expect(doctor.status == 0, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("\"ok\""))
        }
    }

    /// The session's events until `done` says so (at most 30 s).
    static func collect(_ session: GatewaySession, until done: @escaping @Sendable ([GatewaySession.Event]) -> Bool) async throws -> [GatewaySession.Event] {
        try await session.collectEvents(until: done)
    }
}
