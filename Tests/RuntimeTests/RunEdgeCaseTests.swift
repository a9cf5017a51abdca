import FakeProvider
import Foundation
import StateStore
import Testing
import VFS
@testable import AgentRuntime

/// Runs at their edges: runs that cannot start, CRLF text, secrets in provider errors and files, rate-limit words.
@Suite struct RunEdgeCaseTests {
    @Test func aRunWithoutCredentialsWritesNoMessage() async throws {
        try await RuntimeFixture.with(environment: [:]) { (fixture: RuntimeFixture) async throws in
            await #expect(throws: AgentRuntimeError.self) { try await fixture.runtime.run(AgentRunRequest(message: "summarize")).result() }
            // Not even an empty session: a run's first commit is what starts its session.
            #expect(try fixture.runtime.sessions.session(.main(.main)) == nil)
        }
    }

    @Test func crlfFilesHaveLines() async throws {
        try await RuntimeFixture.with { fixture in
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/dos.txt", contents: Data("alpha\r\nbeta needle\r\ngamma\r\n".utf8))
            fixture.fake.enqueue(.toolCalls([
                fakeCall("r", "read", ["path": "dos.txt", "offset": 2, "limit": 1]),
                fakeCall("g", "grep", ["pattern": "needle"]),
                fakeCall("e", "edit", ["path": "dos.txt", "oldText": "gamma", "newText": "delta"]),
            ], text: nil), .text("ok"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "look")).result()
            let results = try fixture.mainEvents().filter { $0.json["message"]?["role"] == "toolResult" }
                .map { $0.json["message"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "" }
            #expect(results[0] == "2\tbeta needle\n[1 more lines; continue with offset 3]\n")
            #expect(results[1] == "/dos.txt:2: beta needle")
            #expect(results[2] == "edited /dos.txt at line 3")
        }
    }

    @Test func secretsInProviderErrorsAreRedactedAndOtherTextIsNot() async throws {
        let other = "zz-other-provider-secret-1234"
        try await RuntimeFixture.with(environment: ["FAKE_API_KEY": RuntimeFixture.key, "OTHER_API_KEY": other], maxRetries: 0) { fixture in
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/keys.txt", contents: Data("other=\(other)\n".utf8))
            fixture.fake.enqueue(.toolCalls([fakeCall("r", "read", ["path": "keys.txt"])], text: nil),
                                 .error(status: 400, type: "invalid_request_error", message: "bad request for key \(RuntimeFixture.key)"))
            do {
                _ = try await fixture.runtime.run(AgentRunRequest(message: "read keys.txt")).result()
                Issue.record("expected the provider's error")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .provider)
                #expect(!error.message.contains(RuntimeFixture.key), "the echoed key is masked in the error")
                #expect(error.message.contains("****1111"))
            }
            let dump = try fixture.mainEvents().map(\.json.jsonText).joined()
            #expect(dump.contains(other), "a value that is not a secret of this run is stored as it was (no guessing by variable names)")
            #expect(!dump.contains(RuntimeFixture.key))
            #expect(dump.contains("bad request for key ****1111"))
        }
    }

    @Test func rateLimitMarkersMustBeWholeWords() {
        #expect(!ProviderClient.isRateLimit(status: 400, message: "max_tokens is too large: 42900"))
        #expect(!ProviderClient.isRateLimit(status: 400, message: "see quotas.md"))
        #expect(ProviderClient.isRateLimit(status: 400, message: "Error 429: slow down"))
        #expect(ProviderClient.isRateLimit(status: 403, message: "You exceeded your current quota"))
        #expect(ProviderClient.isRateLimit(status: 500, message: "rate_limit_error: too busy"))
    }

    @Test func thePreCheckNeverMissesWhatTheExpressionsRedact() {
        let pieces = ["sk-", "pk-", "rk-ant-", "Bearer ", "bearer\n", "BEARER\t", "key ", "k-", "bear ", "-", "abcdefghijklmnopqrstuvwxyz0123", " x "]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 1...6, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            if Redaction.redact(text, secrets: []) != text {
                #expect(Redaction.mayHoldSecret(text, secrets: []), "\(text.debugDescription)")
            }
        }
    }

    @Test func anEmptyAnswerIsLeftOutOfTheHistory() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.text(""), .text("second"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "one")).result()
            _ = try await fixture.runtime.run(AgentRunRequest(message: "two")).result()
            let messages = try sentMessages(try #require(fixture.fake.requests.last))
            #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["system", "user", "user"])
        }
    }

    @Test func readRefusesFilesOverItsLimit() async throws {
        try await RuntimeFixture.with { fixture in
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/big.txt", contents: Data(count: Int(WorkspaceTools.maxTextFileBytes) + 1))
            fixture.fake.enqueue(.toolCalls([fakeCall("r", "read", ["path": "big.txt"])], text: nil), .text("ok"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "read it")).result()
            let result = try #require(try fixture.mainEvents().first { $0.json["message"]?["role"] == "toolResult" })
            #expect(result.json["message"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("EFBIG") == true)
        }
    }
}

@Suite struct HistoryBudgetTests {
    @Test func oldExchangesGoWholeWhenTheHistoryOutgrowsTheContextWindow() async throws {
        try await RuntimeFixture.with { fixture in
            try fixture.runtime.catalog.setProvider(try ModelProviderConfiguration(
                id: "fake", api: .openAICompletions, baseURL: fixture.fake.baseURL + "/v1",
                models: [try ModelDescriptor(id: "m1", contextWindow: 3000, maxTokens: 256)]))
            let long = String(repeating: "word ", count: 1000)  // about 1250 estimated tokens
            fixture.fake.enqueue(.toolCalls([fakeCall("c1", "ls", [:])], text: nil), .text("first answer"), .text("second"), .text("third"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "one " + long)).result()
            _ = try await fixture.runtime.run(AgentRunRequest(message: "two " + long)).result()
            _ = try await fixture.runtime.run(AgentRunRequest(message: "three")).result()
            let sent = try sentMessages(try #require(fixture.fake.requests.last))
            let roles = sent.map { $0["role"]?.stringValue ?? "" }
            #expect(roles == ["system", "user", "assistant", "user"], "the first exchange (with its tool call and result) went as a whole")
            #expect(sent[1]["content"]?.stringValue?.hasPrefix("two ") == true)
            let start = try #require(try fixture.mainEvents().last { $0.type == "run_start" })
            #expect(start.json["historyDropped"] == 4)
        }
    }

    @Test func withoutAContextWindowNothingIsDropped() {
        let messages: [ChatMessage] = [.user(String(repeating: "x", count: 100_000)), .assistant(text: "a", toolCalls: []), .user("b")]
        #expect(HistoryBudget.fit(messages, contextWindow: nil, reserved: 0).dropped == 0)
        #expect(HistoryBudget.fit(messages, contextWindow: 100, reserved: 0).messages == [.user("b")])
        #expect(HistoryBudget.fit([.user("only")], contextWindow: 1, reserved: 10).messages == [.user("only")], "the newest message always stays")
    }
}
