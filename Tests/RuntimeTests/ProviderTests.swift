import FakeProvider
import Foundation
import Testing
@testable import AgentRuntime

@Suite struct ServerSentEventTests {
    @Test func splitsEventsAcrossChunksAndLineEnds() throws {
        var parser = ServerSentEventParser()
        var events = try parser.feed(Array("event: a\r\ndata: {\"x\"".utf8))
        #expect(events.isEmpty)
        events = try parser.feed(Array(":1}\r\n\r\n: comment\ndata: one\ndata: two\n\ndata: [DONE]".utf8))
        #expect(events == [ServerSentEvent(event: "a", data: "{\"x\":1}"), ServerSentEvent(event: nil, data: "one\ntwo")])
        #expect(parser.finish() == ServerSentEvent(event: nil, data: "[DONE]"))
    }
}

@Suite struct RequestBodyTests {
    /// The body with the tools spliced in from the encoder's cache is the full body's encoding,
    /// byte for byte, the first time and from the cache.
    @Test(arguments: [ModelAPI.openAICompletions, .anthropicMessages], [true, false])
    func cachedToolsGiveTheSameBytesAsTheWholeBody(api: ModelAPI, stream: Bool) throws {
        let tools = [
            ToolDefinition(name: "read", description: "Reads a file \"quoted\" / slashed", parameters: ["type": "object", "properties": ["path": ["type": "string"]]]),
            ToolDefinition(name: "zz_last", description: "Sorted after the others", parameters: ["type": "object"]),
        ]
        let request = ModelRequest(model: "m", system: "You are a test.", messages: [.user("hello"), .assistant(text: "hi", toolCalls: []), .user("again")],
                                   tools: tools, maxTokens: 64, stream: stream)
        let whole = WireFormat.body(request, api: api).encoded()
        #expect(WireFormat.encode(request, api: api) == whole)
        #expect(WireFormat.encode(request, api: api) == whole, "from the cache")
        var other = request
        other.tools = [tools[1]]
        #expect(WireFormat.encode(other, api: api) == WireFormat.body(other, api: api).encoded(), "another tool set is not mistaken for the cached one")
        other.tools = []
        let bare = WireFormat.encode(other, api: api)
        #expect(try JSONValue.parse(bare)["tools"] == nil)
    }
}

@Suite(.serialized) struct ProviderTests {
    static let request = ModelRequest(model: "m1", system: "sys", messages: [.user("hi")], tools: WorkspaceTools.definitions, maxTokens: 64, stream: true)

    func credential(_ secret: String = RuntimeFixture.key) -> Credential {
        Credential(source: .environment("FAKE_API_KEY"), kind: .apiKey, secret: secret)
    }

    @Test(arguments: [ModelAPI.openAICompletions, .anthropicMessages], [true, false])
    func textAndToolCallsInBothWireFormats(api: ModelAPI, stream: Bool) async throws {
        try await RuntimeFixture.with(api: api) { fixture in
            fixture.fake.enqueue(.toolCalls([fakeCall("call_1", "read", ["path": "a.md"]), fakeCall("call_2", "ls", [:])], text: "Looking."))
            var request = Self.request
            request.stream = stream
            let pieces = LockedValue<[String]>([])
            let response = try await ProviderClient().send(request, provider: try fixture.provider(), credential: credential()) { text in
                pieces.withLock { $0.append(text) }
            }
            #expect(response.text == "Looking.")
            #expect(response.toolCalls.map(\.id) == ["call_1", "call_2"])
            #expect(response.toolCalls.map(\.name) == ["read", "ls"])
            #expect(try JSONValue.parse(response.toolCalls[0].argumentsJSON) == ["path": "a.md"])
            #expect(response.usage.inputTokens > 0 && response.usage.outputTokens > 0)
            #expect(["tool_calls", "tool_use"].contains(response.stopReason))
            if stream { #expect(pieces.withLock { $0.joined() } == "Looking.") }
            let sent = try #require(fixture.fake.requests.first)
            #expect(sent.stream == stream)
            #expect(sent.apiKey == RuntimeFixture.key)
            if api == .anthropicMessages {
                #expect(sent.headers["x-api-key"] == RuntimeFixture.key)
                #expect(sent.headers["anthropic-version"] == "2023-06-01")
                #expect(sent.json["system"] as? String == "sys")
            } else {
                #expect(sent.headers["authorization"] == "Bearer \(RuntimeFixture.key)")
            }
        }
    }

    @Test func rateLimitsRotateToTheNextKeyAndNothingElseDoes() async throws {
        try await RuntimeFixture.with { fixture in
            let provider = try fixture.provider()
            fixture.fake.setKeyRule("key-one-aaaaaaaa", .rateLimited)
            fixture.fake.enqueue(.text("from two"))
            let invoker = fixture.runtime.invoker
            let limited = LockedValue<[String]>([])
            let outcome = try await invoker.complete(Self.request, provider: provider, credentials: [credential("key-one-aaaaaaaa"), credential("key-two-aaaaaaaa")],
                                                     onRateLimit: { credential in limited.withLock { $0.append(credential.secret) } }) { _ in }
            #expect(outcome.response.text == "from two")
            #expect(outcome.credential.secret == "key-two-aaaaaaaa")
            #expect(limited.withLock { $0 } == ["key-one-aaaaaaaa"])
            #expect(fixture.fake.requests.map(\.apiKey) == ["key-one-aaaaaaaa", "key-two-aaaaaaaa"])

            // Every key rate-limited: one request per key, the last error returned.
            fixture.fake.reset()
            fixture.fake.setKeyRule("key-one-aaaaaaaa", .rateLimited)
            fixture.fake.setKeyRule("key-two-aaaaaaaa", .rateLimited)
            await #expect(throws: AgentRuntimeError.self) {
                try await invoker.complete(Self.request, provider: provider, credentials: [self.credential("key-one-aaaaaaaa"), self.credential("key-two-aaaaaaaa")]) { _ in }
            }
            #expect(fixture.fake.requestCount == 2)
            do {
                _ = try await invoker.complete(Self.request, provider: provider, credentials: [credential("key-one-aaaaaaaa"), credential("key-two-aaaaaaaa")]) { _ in }
                Issue.record("expected every key to be rate-limited")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .rateLimited)
                #expect(error.httpStatus == 429)
                #expect(!error.message.contains("key-two-aaaaaaaa"), "no secret in the error")
            }

            // An authentication failure is not retried with another key.
            fixture.fake.reset()
            fixture.fake.setKeyRule("key-one-aaaaaaaa", .unauthorized)
            do {
                _ = try await invoker.complete(Self.request, provider: provider, credentials: [credential("key-one-aaaaaaaa"), credential("key-two-aaaaaaaa")]) { _ in }
                Issue.record("expected an authentication error")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .authentication)
                #expect(error.httpStatus == 401)
            }
            #expect(fixture.fake.requestCount == 1)
        }
    }

    @Test func rateLimitWordsInOtherStatusesCount() {
        #expect(ProviderClient.isRateLimit(status: 400, message: "Resource exhausted for this project"))
        #expect(ProviderClient.isRateLimit(status: 503, message: "ThrottlingException: slow down"))
        #expect(ProviderClient.isRateLimit(status: 200, message: "Too many concurrent requests"))
        #expect(!ProviderClient.isRateLimit(status: 500, message: "internal error"))
    }

    @Test func serverErrorsAreRetriedWithBackoffButNotClientErrors() async throws {
        try await RuntimeFixture.with(maxRetries: 2) { fixture in
            let provider = try fixture.provider()
            var client = ProviderClient()
            client.initialBackoff = .milliseconds(5)
            fixture.fake.enqueue(.error(status: 500, type: "server_error", message: "boom"), .error(status: 529, type: "overloaded_error", message: "busy"), .text("third time"))
            let response = try await client.send(Self.request, provider: provider, credential: credential()) { _ in }
            #expect(response.text == "third time")
            #expect(fixture.fake.requestCount == 3)

            fixture.fake.reset()
            fixture.fake.enqueue(.error(status: 500, type: "server_error", message: "a"), .error(status: 500, type: "server_error", message: "b"),
                                 .error(status: 500, type: "server_error", message: "c"), .text("never"))
            do {
                _ = try await client.send(Self.request, provider: provider, credential: credential()) { _ in }
                Issue.record("expected failure after the retries")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .provider)
                #expect(error.httpStatus == 500)
                #expect(error.message.contains("c"))
            }
            #expect(fixture.fake.requestCount == 3, "one try and two retries")

            fixture.fake.reset()
            fixture.fake.enqueue(.error(status: 400, type: "invalid_request_error", message: "bad field"))
            await #expect(throws: AgentRuntimeError.self) { try await client.send(Self.request, provider: provider, credential: self.credential()) { _ in } }
            #expect(fixture.fake.requestCount == 1)
        }
    }

    @Test func aSilentStreamTimesOutAndAnUnreachableProviderIsAConnectionError() async throws {
        try await RuntimeFixture.with(timeoutMilliseconds: 300, maxRetries: 0) { fixture in
            fixture.fake.enqueue(.stall(text: "partial "))
            let started = ContinuousClock.now
            do {
                _ = try await ProviderClient().send(Self.request, provider: try fixture.provider(), credential: credential()) { _ in }
                Issue.record("expected a timeout")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .timeout)
            }
            #expect(ContinuousClock.now - started < .seconds(30), "a stalled stream must end by its timeout, not hang")

            let closed = try ModelProviderConfiguration(id: "gone", api: .openAICompletions, baseURL: "http://127.0.0.1:9/v1", timeoutMilliseconds: 2000, maxRetries: 1)
            var client = ProviderClient()
            client.initialBackoff = .milliseconds(5)
            do {
                _ = try await client.send(Self.request, provider: closed, credential: credential()) { _ in }
                Issue.record("expected a connection error")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .connection)
                #expect(error.message.contains("127.0.0.1:9"))
            }
        }
    }
}
