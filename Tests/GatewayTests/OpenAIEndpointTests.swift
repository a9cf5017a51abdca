import AgentRuntime
import AsyncHTTPClient
import FakeProvider
import Foundation
import Gateway
import NIOCore
import Subprocess
import Synchronization
import Testing

@Suite struct OpenAIEndpointTests {
    // MARK: The official Python client

    /// Runs the `openai` package against the live gateway in a child process (awaited without
    /// blocking a concurrency thread: the gateway serves it from the same two threads).
    @Test func theOfficialPythonClientCompletesStreamsListsAndSeesAuthErrors() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            fixture.fake.enqueue(.text("Hello from the fake provider."), .text("Streamed words arrive in pieces."))
            let script = fixture.directory.path + "/openai_client_check.py"
            try OpenAIClientScript.source.write(toFile: script, atomically: true, encoding: .utf8)
            let run: (status: TerminationStatus, output: String, error: String)
            do {
                let result = try await Subprocess.run(
                    .name("python3"), arguments: [script],
                    environment: .inherit.updating(["OPENCLAW_TEST_BASE_URL": fixture.httpURL + "/v1", "OPENCLAW_TEST_API_KEY": fixture.token]),
                    output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
                run = (result.terminationStatus, result.standardOutput, result.standardError)
            } catch {
                Issue.record("python3 could not be run (\(error)): this test needs python3 with the `openai` package (scripts/bootstrap.sh installs it)")
                return
            }
            let report = try? JSONValue.parse(run.output)
            if let fatal = report?["fatal"]?.stringValue {
                Issue.record("\(fatal)")
                return
            }
            guard case .exited(0) = run.status, let report else {
                Issue.record("the openai client script failed (\(run.status)):\n\(run.output)\n\(run.error)")
                return
            }
            let printed = run.output

            let completion = try #require(report["completion"])
            #expect(completion["content"] == "Hello from the fake provider.")
            #expect(completion["role"] == "assistant")
            #expect(completion["object"] == "chat.completion")
            #expect(completion["model"] == "openclaw")
            #expect(completion["finish_reason"] == "stop")
            #expect(completion["id"]?.stringValue?.hasPrefix("chatcmpl_") == true)
            let prompt = completion["prompt_tokens"]?.intValue ?? -1
            let output = completion["completion_tokens"]?.intValue ?? -1
            #expect(prompt >= 0 && output >= 0)
            #expect(completion["total_tokens"]?.intValue == prompt + output)

            let stream = try #require(report["stream"])
            let deltas = (stream["deltas"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(deltas.joined() == "Streamed words arrive in pieces.")
            #expect(deltas.count > 1, "the answer arrives in several deltas")
            #expect(stream["roles"] == ["assistant"])
            #expect(stream["finish_reasons"] == ["stop"])
            #expect(stream["ids"]?.arrayValue?.count == 1, "every chunk carries the completion's id")

            let models = (report["models"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(models == ["openclaw", "openclaw/main"])
            #expect(report["models"]?.arrayValue?.allSatisfy { $0["object"] == "model" && $0["owned_by"] == "openclaw" } == true)
            #expect(report["retrieved"] == "openclaw")

            #expect(report["wrong_key"]?["raised"] == "AuthenticationError")
            #expect(report["wrong_key"]?["status"] == 401)
            #expect(report["bad_model"]?["raised"] == "BadRequestError")
            #expect(report["bad_model"]?["status"] == 400)
            #expect(report["unknown_agent"]?["raised"] == "NotFoundError")
            #expect(report["unknown_agent"]?["code"] == "model_not_found")
            #expect(!printed.contains(fixture.token), "no answer echoes the token")

            // The system message went first in the run's one message; the model saw both.
            let first = try #require(fixture.fake.requests.first)
            let sent = ((first.json["messages"] as? [[String: Any]]) ?? []).last?["content"] as? String
            #expect(sent == "System: Be brief.\n\nSay hello")
            #expect(fixture.fake.requestCount == 2, "the refused requests never reached the model")
        }
    }

    // MARK: Auth, health and the switch

    @Test func aMissingOrWrongBearerIs401AndHealthNeedsNone() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            let missing = try await OpenAIHTTP(fixture, token: .some(nil)).complete(OpenAIHTTP.body("hi"))
            #expect(missing.status == 401)
            #expect(missing.error?["type"] == "invalid_request_error")
            #expect(missing.error?["code"] == "missing_api_key")
            #expect(missing.headers["WWW-Authenticate"].first == "Bearer")

            let wrong = try await OpenAIHTTP(fixture, token: "sk-wrong-guess").complete(OpenAIHTTP.body("hi"))
            #expect(wrong.status == 401)
            #expect(wrong.error?["type"] == "authentication_error")
            #expect(wrong.error?["code"] == "invalid_api_key")
            #expect(!wrong.body.contains("sk-wrong-guess"), "the presented token is never echoed")
            #expect(!wrong.body.contains(fixture.token))

            let models = try await OpenAIHTTP(fixture, token: .some(nil)).send(.GET, "/v1/models")
            #expect(models.status == 401)

            let health = try await OpenAIHTTP(fixture, token: .some(nil)).send(.GET, "/health")
            #expect(health.status == 200)
            #expect(health.json?["ok"] == true)
            #expect(fixture.fake.requestCount == 0)
        }
    }

    @Test func repeatedFailuresAre429WithRetryAfterEvenForTheRightToken() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI { $0.maxAuthFailures = 3 }) { fixture in
            for _ in 0..<3 {
                #expect(try await OpenAIHTTP(fixture, token: "bad").send(.GET, "/v1/models").status == 401)
            }
            let limited = try await OpenAIHTTP(fixture).send(.GET, "/v1/models")
            #expect(limited.status == 429)
            #expect(limited.error?["type"] == "rate_limit_error")
            #expect(limited.error?["code"] == "auth_rate_limited")
            let retryAfter = Int(limited.headers["Retry-After"].first ?? "") ?? 0
            #expect((1...60).contains(retryAfter))
        }
    }

    @Test func theEndpointIsOffUnlessEnabled() async throws {
        try await GatewayFixture.with { fixture in
            let answer = try await OpenAIHTTP(fixture).complete(OpenAIHTTP.body("hi"))
            #expect(answer.status == 404)
            #expect(answer.error?["message"]?.stringValue?.contains("--openai-http") == true)
            #expect(try await OpenAIHTTP(fixture).send(.GET, "/v1/models").status == 404)
            #expect(try await OpenAIHTTP(fixture, token: .some(nil)).send(.GET, "/health").status == 200)
            #expect(fixture.fake.requestCount == 0)
        }
    }

    // MARK: Bad requests

    @Test func badBodiesAndModelsAreOpenAIErrors() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            let http = OpenAIHTTP(fixture)
            let malformed = try await http.complete(raw: #"{"model": "openclaw", "messages": ["#)
            #expect(malformed.status == 400)
            #expect(malformed.error?["type"] == "invalid_request_error")
            #expect(malformed.error?["message"]?.stringValue?.hasPrefix("the request body is not valid JSON") == true)

            let wrongType = try await http.complete(["model": "openclaw", "messages": "hello"])
            #expect(wrongType.status == 400)
            #expect(wrongType.error?["param"] == "messages")

            let badStream = try await http.complete(["model": "openclaw", "messages": [["role": "user", "content": "hi"]], "stream": "yes"])
            #expect(badStream.status == 400)
            #expect(badStream.error?["param"] == "stream")

            let badModel = try await http.complete(OpenAIHTTP.body("hi", model: "gpt-4o"))
            #expect(badModel.status == 400)
            #expect(badModel.error?["message"] == "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`.")
            #expect(badModel.error?["param"] == "model")

            let unknown = try await http.complete(OpenAIHTTP.body("hi", model: "openclaw:ghost"))
            #expect(unknown.status == 404)
            #expect(unknown.error?["code"] == "model_not_found")
            #expect(try await http.send(.GET, "/v1/models/openclaw%2Fghost").status == 404)
            let main = try await http.send(.GET, "/v1/models/openclaw/main")
            #expect(main.status == 200)
            #expect(main.json?["id"] == "openclaw/main")
            #expect(try await http.send(.GET, "/v1/models/openclaw%2Fmain").json?["id"] == "openclaw/main")
            #expect(try await http.send(.GET, "/v1/models/openclaw").json?["object"] == "model")

            let image = try await http.complete(["model": "openclaw", "messages": [["role": "user", "content": [
                ["type": "text", "text": "what is this?"], ["type": "image_url", "image_url": ["url": "data:image/png;base64,AAAA"]],
            ]]]])
            #expect(image.status == 400)
            #expect(image.error?["message"] == "image input is not served")
            #expect(image.error?["param"] == "messages[0].content[1]")

            let noUser = try await http.complete(["model": "openclaw", "messages": [["role": "system", "content": "rules"], ["role": "user", "content": "  "]]])
            #expect(noUser.status == 400)
            #expect(noUser.error?["message"] == "Missing user message in `messages`.")

            let otherRoute = try await http.send(.GET, "/v1/embeddings")
            #expect(otherRoute.status == 404)
            #expect(otherRoute.error?["code"] == "not_found")
            #expect(fixture.fake.requestCount == 0, "no bad request reached the model")
        }
    }

    @Test func aBodyOver20MiBIs413JSON() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            let filler = String(repeating: "x", count: 21 << 20)
            let text = #"{"model":"openclaw","messages":[{"role":"user","content":""# + filler + #""}]}"#
            let sized = try await OpenAIHTTP(fixture).complete(raw: text)
            #expect(sized.status == 413)
            #expect(sized.error?["code"] == "request_too_large")

            // Without Content-Length (chunked), the limit is found while reading.
            let bytes = ByteBuffer(string: text)
            let (pieces, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
            for offset in stride(from: 0, to: bytes.readableBytes, by: 1 << 20) {
                if let piece = bytes.getSlice(at: offset, length: min(1 << 20, bytes.readableBytes - offset)) { sink.yield(piece) }
            }
            sink.finish()
            let chunked = try await OpenAIHTTP(fixture).send(.POST, "/v1/chat/completions", body: .stream(pieces, length: .unknown))
            #expect(chunked.status == 413)
            #expect(chunked.error?["type"] == "invalid_request_error")
            #expect(fixture.fake.requestCount == 0)
        }
    }

    @Test func aDrainingGatewayAnswers503WithRetryAfter() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            await fixture.gateway.shutdown()
            let answer = try await OpenAIHTTP(fixture).complete(OpenAIHTTP.body("hi"))
            #expect(answer.status == 503)
            #expect(answer.headers["Retry-After"].first == "1")
            #expect(answer.error?["code"] == "gateway_draining")
        }
    }

    // MARK: Sessions, runs and events

    @Test func theSessionComesFromTheHeaderTheUserOrAFreshKey() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            let http = OpenAIHTTP(fixture)
            #expect(try await http.complete(OpenAIHTTP.body("one"), headers: [("x-openclaw-session-key", "agent:main:desk")]).status == 200)
            #expect(try await http.complete(OpenAIHTTP.body("two", model: "openclaw/main"), headers: [("x-openclaw-session-key", "side")]).status == 200)
            #expect(try await http.complete(OpenAIHTTP.body("first question", user: "alice")).status == 200)
            #expect(try await http.complete(["model": "agent:main", "user": "alice", "messages": [
                ["role": "user", "content": "first question"], ["role": "assistant", "content": "ok"], ["role": "user", "content": "second question"],
            ]]).status == 200)
            #expect(try await http.complete(["model": "openclaw", "messages": [
                ["role": "user", "content": "earlier"], ["role": "assistant", "content": "noted"], ["role": "user", "content": "now"],
            ]]).status == 200)
            let mismatch = try await http.complete(OpenAIHTTP.body("x", model: "openclaw/main"), headers: [("x-openclaw-session-key", "agent:ops:desk")])
            #expect(mismatch.status == 400)
            #expect(mismatch.error?["code"] == "invalid_session_key")

            let host = fixture.gateway.host
            let runtime = try await host.runtime(for: .main)
            let keys = try await host.offThread { try runtime.sessions.list().map(\.key.value) }
            #expect(keys.contains("agent:main:desk"))
            #expect(keys.contains("agent:main:side"))
            #expect(keys.contains("agent:main:openai-user:alice"))
            let fresh = keys.filter { $0.hasPrefix("agent:main:openai:") }
            #expect(fresh.count == 1)
            #expect(fresh.first.map { UUID(uuidString: String($0.dropFirst("agent:main:openai:".count))) != nil } == true)

            // A named session keeps the conversation: only the last user message is sent, after
            // the session's own history. A fresh session gets the conversation flattened.
            let requests = fixture.fake.requests
            #expect(requests.count == 5)
            let alice = requests.count > 3 ? Self.contents(requests[3]) : []
            #expect(alice.last == "second question")
            #expect(alice.filter { $0 == "first question" }.count == 1, "the earlier turn comes from the session, once")
            #expect(requests.last.map(Self.contents)?.last == "User: earlier\nAssistant: noted\nUser: now")
        }
    }

    /// The `content` texts of a provider request's messages.
    static func contents(_ request: FakeRecordedRequest) -> [String] {
        ((request.json["messages"] as? [[String: Any]]) ?? []).compactMap { $0["content"] as? String }
    }

    @Test func aWebSocketReaderSeesTheChatEventsOfAnHTTPRun() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            fixture.fake.enqueue(.text("Seen from both sides."))
            let http = OpenAIHTTP(fixture)
            let (events, answer) = try await fixture.connect { session in
                async let events = collectEvents(session) { seen in seen.contains { $0.name == "chat" && $0.payload["state"] == "final" } }
                let answer = try await http.complete(OpenAIHTTP.body("hello", user: "watcher"))
                return (try await events, answer)
            }
            #expect(answer.status == 200)
            let id = try #require(answer.json?["id"]?.stringValue)
            let final = try #require(events.first { $0.name == "chat" && $0.payload["state"] == "final" })
            #expect(final.payload["runId"]?.stringValue == id, "the completion id is the run id")
            #expect(final.payload["sessionKey"] == "agent:main:openai-user:watcher")
            #expect(final.payload["message"]?["content"]?.arrayValue?.first?["text"] == "Seen from both sides.")
            #expect(events.contains { $0.name == "chat" && $0.payload["state"] == "delta" && $0.payload["runId"]?.stringValue == id })
            #expect(answer.json?["choices"]?.arrayValue?.first?["message"]?["content"] == "Seen from both sides.")
        }
    }

    @Test func aStreamIsServerSentEventsEndingWithDone() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            fixture.fake.enqueue(.text("one two three"))
            var body = OpenAIHTTP.body("count", stream: true).objectValue ?? [:]
            body["stream_options"] = ["include_usage": true]
            let answer = try await OpenAIHTTP(fixture).complete(.object(body))
            #expect(answer.status == 200)
            #expect(answer.headers["Content-Type"].first?.hasPrefix("text/event-stream") == true)
            let events = answer.events
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { try? JSONValue.parse($0) }
            #expect(chunks.count == events.count - 1, "every other event is JSON")
            #expect(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" })
            #expect(chunks.first?["choices"]?.arrayValue?.first?["delta"]?["role"] == "assistant")
            let text = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "one two three")
            let finishes = chunks.compactMap { $0["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue }
            #expect(finishes == ["stop"])
            #expect(chunks.last?["choices"] == [], "the usage chunk comes last, without choices")
            #expect(chunks.last?["usage"]?["total_tokens"]?.intValue != nil)
        }
    }

    @Test func aFailedRunIsAnErrorChunkInAStreamAndAStatusOtherwise() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            let http = OpenAIHTTP(fixture)
            fixture.fake.enqueue(.error(status: 500, type: "server_error", message: "the fake broke"))
            let streamed = try await http.complete(OpenAIHTTP.body("hi", stream: true))
            #expect(streamed.status == 200)
            #expect(streamed.events.last == "[DONE]")
            let failure = try #require(streamed.events.dropLast().last.flatMap { try? JSONValue.parse($0) })
            #expect(failure["error"]?["type"] == "api_error")
            #expect(failure["error"]?["code"] == "provider")

            fixture.fake.enqueue(.error(status: 500, type: "server_error", message: "the fake broke again"))
            let whole = try await http.complete(OpenAIHTTP.body("hi"))
            #expect(whole.status == 502)
            #expect(whole.error?["code"] == "provider")

            fixture.fake.setKeyRule(GatewayFixture.providerKey, .rateLimited)
            let limited = try await http.complete(OpenAIHTTP.body("hi"))
            #expect(limited.status == 429)
            #expect(limited.error?["type"] == "rate_limit_error")
        }
    }

    @Test func aClientThatDisconnectsMidStreamAbortsItsRun() async throws {
        try await GatewayFixture.with(configure: GatewayFixture.openAI()) { fixture in
            fixture.fake.enqueue(.stall(text: "partial answer "))
            let seen = Mutex<String?>(nil)
            let base = fixture.httpURL
            let token = fixture.token
            let reader = Task {
                var request = HTTPClientRequest(url: base + "/v1/chat/completions")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.body = .bytes(ByteBuffer(string: OpenAIHTTP.body("never ends", stream: true).jsonText))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                var text = ""
                for try await piece in response.body {
                    text += String(buffer: piece)
                    if text.contains("partial"), let id = text.firstRange(of: "chatcmpl_").map({ String(text[$0.lowerBound...].prefix(45)) }) {
                        seen.withLock { $0 = id }
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while seen.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let runID = try #require(seen.withLock { $0 }, "the stream never sent its first text")
            #expect(fixture.gateway.host.activeRunIDs == [runID])
            reader.cancel()
            _ = await reader.result
            while !fixture.gateway.host.activeRunIDs.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(fixture.gateway.host.activeRunIDs.isEmpty, "the run was aborted when its client went away")
            let outcome = try await fixture.connect { session in try await session.call("agent.wait", params: ["runId": .string(runID), "timeoutMs": 5000]) }
            #expect(outcome["stopReason"] == "aborted")
        }
    }
}
