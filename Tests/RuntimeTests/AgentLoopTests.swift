import FakeProvider
import Foundation
import Testing
import VFS
@testable import AgentRuntime

@Suite struct AgentLoopTests {
    @Test(arguments: [ModelAPI.openAICompletions, .anthropicMessages])
    func aRunWritesEditsAndGrepsFilesInTheVFS(api: ModelAPI) async throws {
        try await RuntimeFixture.with(api: api) { fixture in
            fixture.fake.enqueue(
                .toolCalls([fakeCall("c1", "write", ["path": "notes/todo.md", "content": "buy milk\nfix bug 42\n"])], text: "Writing."),
                .toolCalls([fakeCall("c2", "edit", ["path": "/notes/todo.md", "oldText": "bug 42", "newText": "bug 43"])], text: nil),
                .toolCalls([fakeCall("c3", "grep", ["pattern": "bug \\d+"]), fakeCall("c4", "read", ["path": "notes/todo.md", "offset": 2])], text: nil),
                .text("Done: one task left.")
            )
            let texts = LockedValue<[String]>([])
            let result = try await fixture.runtime.run(AgentRunRequest(message: "tidy my notes")) { event in
                if case .text(let text) = event.payload { texts.withLock { $0.append(text) } }
            }
            #expect(result.text == "Done: one task left.")
            #expect(result.turns == 4)
            #expect(result.toolCalls == 4)
            #expect(texts.withLock { $0.joined() }.contains("Done: one task left."))
            let workspace = try fixture.runtime.fileSystem.namespace("workspace")
            #expect(String(decoding: try workspace.readFile("/notes/todo.md"), as: UTF8.self) == "buy milk\nfix bug 43\n")

            // The model saw the tool results.
            let last = try #require(fixture.fake.requests.last)
            let body = String(decoding: last.body, as: UTF8.self)
            #expect(body.contains("/notes/todo.md:2: fix bug 43"), "grep result")
            #expect(body.contains("2\\tfix bug 43"), "read with line numbers from offset 2")
            #expect(body.contains("wrote 20 bytes to /notes/todo.md"))

            // The transcript has every step, in order, with usage.
            let events = try fixture.mainEvents()
            let kinds = events.map { event -> String in
                event.type == "message" ? (event.json["message"]?["role"]?.stringValue ?? "?") : event.type
            }
            #expect(kinds == ["session", "user", "run_start", "assistant", "toolResult", "assistant", "toolResult", "assistant", "toolResult", "toolResult", "assistant", "run_end"])
            #expect(events.last?.json["status"] == "completed")
            let toolResult = try #require(events.first { $0.json["message"]?["toolName"] == "write" })
            #expect(toolResult.json["message"]?["details"]?["path"] == "/notes/todo.md")
            let summary = try #require(try fixture.runtime.sessions.session(.main(.main)))
            #expect(summary.usage.inputTokens > 0)
            #expect(summary.model == "fake/m1")
        }
    }

    @Test func toolFailuresGoBackToTheModelWithTheErrno() async throws {
        try await RuntimeFixture.with { fixture in
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/dup.txt", contents: Data("a a".utf8))
            fixture.fake.enqueue(
                .toolCalls([
                    fakeCall("c1", "read", ["path": "missing.md"]),
                    fakeCall("c2", "edit", ["path": "dup.txt", "oldText": "a", "newText": "b"]),
                    fakeCall("c3", "write", ["path": "/.openclaw/skills/x/SKILL.md", "content": "no"]),
                    fakeCall("c4", "read", [:]),
                    FakeToolCall(id: "c5", name: "grep", argumentsJSON: "{not json"),
                    fakeCall("c6", "grep", ["pattern": "("]),
                    fakeCall("c7", "teleport", [:]),
                    fakeCall("c8", "read", ["path": "../../etc/passwd"]),
                ], text: nil),
                .text("ok")
            )
            _ = try await fixture.runtime.run(AgentRunRequest(message: "try things")).result()
            let results = try fixture.mainEvents().filter { $0.json["message"]?["role"] == "toolResult" }
            let texts = results.map { $0.json["message"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "" }
            #expect(results.allSatisfy { $0.json["message"]?["isError"] == true })
            #expect(texts[0] == "read /missing.md: No such file or directory (ENOENT)")
            #expect(texts[1].contains("matches 2 times"))
            #expect(texts[2].contains("EROFS"))
            #expect(texts[3].contains("missing required argument 'path'"))
            #expect(texts[4].contains("not a JSON object"))
            #expect(texts[5].contains("invalid regular expression"))
            #expect(texts[6].contains("unknown tool"))
            #expect(texts[7].contains("/etc/passwd: No such file"), "'..' is clamped at the namespace root; the host is unreachable")
            #expect(String(decoding: try fixture.runtime.fileSystem.namespace("workspace").readFile("/dup.txt"), as: UTF8.self) == "a a", "nothing changed")
            let sent = String(decoding: try #require(fixture.fake.requests.last).body, as: UTF8.self)
            #expect(sent.contains("No such file or directory (ENOENT)"))
        }
    }

    @Test func theTurnLimitEndsTheRunWithAnError() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.setDefaultReply(.toolCalls([fakeCall("loop", "ls", [:])], text: nil))
            do {
                _ = try await fixture.runtime.run(AgentRunRequest(message: "loop forever", maxTurns: 3)).result()
                Issue.record("expected the turn limit")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .turnLimit)
            }
            #expect(fixture.fake.requestCount == 3)
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.type == "run_end")
            #expect(end.json["status"] == "failed")
            #expect(end.json["error"]?["code"] == "turn_limit")
        }
    }

    @Test func aProviderFailureIsRecordedInTheTranscript() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.setKeyRule(RuntimeFixture.key, .unauthorized)
            await #expect(throws: AgentRuntimeError.self) { try await fixture.runtime.run(AgentRunRequest(message: "hi")).result() }
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.json["status"] == "failed")
            #expect(end.json["error"]?["code"] == "authentication")
            #expect(end.json["error"]?["httpStatus"] == 401)
            #expect(!end.json.jsonText.contains(RuntimeFixture.key))
        }
    }

    @Test func missingCredentialsAndModelsAreClearErrors() async throws {
        try await RuntimeFixture.with(environment: [:]) { fixture in
            do {
                _ = try await fixture.runtime.run(AgentRunRequest(message: "hi")).result()
                Issue.record("expected missing credentials")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .missingCredentials)
                #expect(error.message.contains("FAKE_API_KEY"))
            }
            await #expect(throws: AgentRuntimeError.self) {
                try await fixture.runtime.run(AgentRunRequest(message: "hi", model: ModelReference(provider: "fake", model: "nope"))).result()
            }
            await #expect(throws: AgentRuntimeError.self) { try await fixture.runtime.run(AgentRunRequest(message: "   ")).result() }
            #expect(fixture.fake.requestCount == 0)
        }
    }

    @Test func anAbortMidStreamIsRecorded() async throws {
        try await RuntimeFixture.with { fixture in
            fixture.fake.enqueue(.stall(text: "thinking "))
            let seen = LockedValue(false)
            let task = Task {
                try await fixture.runtime.run(AgentRunRequest(message: "long job")) { event in
                    if case .text = event.payload { seen.withLock { $0 = true } }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while !seen.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(seen.withLock { $0 })
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("expected an abort")
            } catch let error as AgentRuntimeError {
                #expect(error.code == .aborted)
            }
            let end = try #require(try fixture.mainEvents().last)
            #expect(end.json["status"] == "aborted")
        }
    }

    @Test func anInterruptedToolCallIsClosedInTheNextRun() async throws {
        try await RuntimeFixture.with { fixture in
            // A run killed after the model asked for a tool: the call has no result in the transcript.
            let session = try fixture.runtime.sessions.openSession(.main(.main))
            try await fixture.runtime.sessions.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["message": ["role": "user", "content": [["type": "text", "text": "first"]]]]))
            try await fixture.runtime.sessions.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["message": [
                "role": "assistant", "content": [["type": "toolCall", "id": "orphan", "name": "ls", "arguments": [:]]]]]))
            fixture.fake.enqueue(.text("recovered"))
            let result = try await fixture.runtime.run(AgentRunRequest(message: "second")).result()
            #expect(result.text == "recovered")
            let messages = try sentMessages(try #require(fixture.fake.requests.first))
            let tool = try #require(messages.first { $0["role"] == "tool" })
            #expect(tool["tool_call_id"] == "orphan")
            #expect(tool["content"]?.stringValue?.contains("interrupted") == true)
            #expect(messages.last?["content"] == "second")
        }
    }

    @Test func historyCarriesAcrossRunsOfASession() async throws {
        try await RuntimeFixture.with(api: .anthropicMessages) { fixture in
            fixture.fake.enqueue(.text("first answer"), .text("second answer"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "one")).result()
            _ = try await fixture.runtime.run(AgentRunRequest(message: "two", stream: false)).result()
            let messages = try sentMessages(try #require(fixture.fake.requests.last))
            #expect(messages.count == 3)
            #expect(messages[1]["role"] == "assistant")
            #expect(messages[1]["content"]?.arrayValue?.first?["text"] == "first answer")
            #expect(fixture.fake.requests.last?.stream == false)
        }
    }
}

@Suite struct TranscriptRedactionTests {
    @Test func secretsNeverReachTheTranscript() async throws {
        try await RuntimeFixture.with { fixture in
            let stray = "sk-proj-abcdefghijklmnopqrstuvwx"
            try fixture.runtime.fileSystem.namespace("workspace").writeFile("/.env.local", contents: Data("OPENAI_API_KEY=\(stray)\nTOKEN=\(RuntimeFixture.key)\n".utf8))
            fixture.fake.enqueue(.toolCalls([fakeCall("r", "read", ["path": ".env.local"])], text: nil), .text("Your key is \(stray)."))
            let result = try await fixture.runtime.run(AgentRunRequest(message: "what is in .env.local? my other key is \(RuntimeFixture.key)")).result()
            #expect(result.text.contains(stray), "the caller still gets the answer as the model wrote it")
            let dump = try fixture.mainEvents().map(\.json.jsonText).joined()
            #expect(!dump.contains(stray))
            #expect(!dump.contains(RuntimeFixture.key))
            #expect(dump.contains("[redacted]"))
            #expect(dump.contains("****1111"), "a known credential keeps a masked suffix")
            let sent = String(decoding: try #require(fixture.fake.requests.last).body, as: UTF8.self)
            #expect(sent.contains(stray), "the model saw the file as it is")
        }
    }

    @Test func theCheapCheckFindsWhatTheExpressionsWouldRedact() {
        #expect(Redaction.mayHoldSecret("key sk-abcdefghijklmnop", secrets: []))
        #expect(Redaction.mayHoldSecret("Authorization: Bearer abcdefghijkl", secrets: []))
        #expect(Redaction.mayHoldSecret("contains the-secret-value here", secrets: ["the-secret-value"]))
        #expect(!Redaction.mayHoldSecret("an ordinary sentence without tokens", secrets: ["the-secret-value"]))
    }
}
