import AgentRuntime
import FakeProvider
import Foundation
@testable import Gateway
import HummingbirdWSClient
import Logging
import StateStore
import Synchronization
import Testing

/// The limits and the shutdown: a slow consumer is closed and slows no one, a drain lets short
/// runs finish and aborts the rest.
@Suite struct GatewayLimitsTests {
    @Test func aConsumerThatFallsBehindIsClosedAndSlowsNoOneElse() async throws {
        try await GatewayFixture.with(configure: { $0.maxBufferedBytes = 1024 * 1024 }) { fixture in
            let release = Mutex(false)
            let slowEnded = Mutex<ContinuousClock.Instant?>(nil)
            var logger = Logger(label: "test.slow")
            logger.logLevel = .critical
            let params = fixture.connectParams()
            // A client that connects, then reads nothing until told.
            let slow = Task {
                try await WebSocketClient.connect(url: fixture.url, logger: logger) { inbound, outbound, _ in
                    var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    _ = try await iterator.next()
                    try await outbound.write(.text(JSONValue.object(["type": "req", "id": "c", "method": "connect", "params": params]).jsonText))
                    _ = try await iterator.next()
                    while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    while let _ = try? await iterator.next() {}
                    slowEnded.withLock { $0 = ContinuousClock.now }
                }
            }
            let payload = JSONValue.object(["ts": 1, "pad": .string(String(repeating: "x", count: 64 * 1024))])
            let received = try await fixture.connect { fast in
                while fixture.gateway.connectedCount < 2 { try await Task.sleep(for: .milliseconds(5)) }
                async let seen = collectEvents(fast, timeout: .seconds(60)) { events in events.count { $0.name == "tick" } == 400 }
                let started = ContinuousClock.now
                for _ in 0..<400 {
                    fixture.gateway.broadcast("tick", needsRead: false, variants: [payload])
                    // About 30 MB/s: what a reading client on loopback takes; the other reads nothing.
                    try await Task.sleep(for: .milliseconds(2))
                }
                let events = try await seen
                return (events.count { $0.name == "tick" }, ContinuousClock.now - started)
            }
            #expect(received.0 == 400, "the reading client got every event (26 MB) while the other fell behind")
            #expect(received.1 < .seconds(30))
            // The slow client was dropped: only the fast one was left connected before it closed.
            let deadline = ContinuousClock.now + .seconds(10)
            while fixture.gateway.connectedCount > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(fixture.gateway.connectedCount == 0)
            release.withLock { $0 = true }
            let close = try await slow.value
            #expect(close == nil || close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } == 1008)
            if let reason = close?.reason { #expect(reason == "slow consumer") }
        }
    }

    @Test func aRequestInFlightWhenTheShutdownBeginsIsAnsweredBeforeTheClose() async throws {
        let fixture = try await GatewayFixture(configure: { $0.drainTimeout = .milliseconds(100) })
        fixture.fake.enqueue(.stall(text: "never ends"))
        let replies = try await fixture.connect { session in
            let started = try await session.call("chat.send", params: ["sessionKey": "agent:main:held", "message": "a", "idempotencyKey": "held"])
            let runID = started["runId"] ?? .null
            // Read by the gateway before the shutdown; answered only when the run ends, which
            // is when the drain aborts it, just before the sockets close.
            async let waited = session.send("agent.wait", params: ["runId": runID, "timeoutMs": 60_000])
            try await Task.sleep(for: .milliseconds(100))
            await fixture.stop()
            return try await waited
        }
        let payload = replies.first?["payload"]
        #expect(replies.first?["ok"] == true, "the request got its answer, not a closed socket: \(replies)")
        #expect(payload?["status"] == "error")
        #expect(payload?["stopReason"] == "aborted")
    }

    @Test func aShutdownDrainsShortRunsAbortsTheRestAndCloses1012() async throws {
        let fixture = try await GatewayFixture(configure: { $0.drainTimeout = .milliseconds(1500) })
        fixture.fake.setLatency(.milliseconds(300))
        fixture.fake.enqueue(.stall(text: "never ends"), .text("short run"))
        let state = fixture.state
        let outcome = try await fixture.connect { session in
            #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:long", "message": "a", "idempotencyKey": "long"])["status"] == "started")
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await session.call("chat.send", params: ["sessionKey": "agent:main:short", "message": "b", "idempotencyKey": "short"])["status"] == "started")
            let started = ContinuousClock.now
            let stopping = Task { await fixture.stop() }
            let shutdown = try await collectEvents(session) { seen in seen.contains { $0.name == "shutdown" } }
            let refused = try await session.send("chat.send", params: ["sessionKey": "agent:main:late", "message": "c", "idempotencyKey": "late"])
            let rest = try await collectEvents(session, timeout: .seconds(10)) { seen in
                GatewayRunTests.isFinal("long")(seen) && GatewayRunTests.isFinal("short")(seen)
            }
            await stopping.value
            return (shutdown + rest, refused.first, ContinuousClock.now - started)
        }
        let events = outcome.0
        #expect(events.first { $0.name == "shutdown" }?.payload["reason"] == "gateway stopping")
        #expect(GatewayRunTests.chats(events, "short").last?["state"] == "final", "a run that ends within the drain finishes")
        #expect(GatewayRunTests.chats(events, "long").last?["state"] == "aborted", "the rest are aborted at its end")
        #expect(outcome.1?["error"]?["code"] == "UNAVAILABLE")
        #expect(outcome.1?["error"]?["retryable"] == true)
        #expect(outcome.2 >= .milliseconds(1400) && outcome.2 < .seconds(8), "the drain waited its timeout, no longer (\(outcome.2))")

        // The transcripts say so, and the databases are sound.
        let host = try AgentHost(state: state, logger: Logger(label: "test"), environment: RuntimeEnvironment(variables: [:]))
        let runtime = try await host.runtime(for: .main)
        func ends(_ key: String) throws -> [String] {
            guard let session = try runtime.sessions.session(try SessionKey(key)) else { return [] }
            return try runtime.sessions.events(session.sessionID, types: ["run_end"]).compactMap { event in
                if case .runEnd(let record) = event.payload { return record.status }
                return nil
            }
        }
        #expect(try ends("agent:main:short") == ["completed"])
        #expect(try ends("agent:main:long") == ["aborted"])
        await host.shutdown()
    }
}
