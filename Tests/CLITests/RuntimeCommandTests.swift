import FakeProvider
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The runtime commands (`agent`, `sessions`, `models`, `skills`, `doctor`) run as real
/// `openclaw` processes against a real local fake model provider.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RuntimeCommandTests {
    // MARK: agent

    @Test func agentStreamsTheAnswerAndTheTranscriptCanBeReadWithCursors() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.text("Hello from the fake"))
            let run = try await fixture.run(["agent", "-m", "Say hello"], environment: RuntimeFixture.keyEnvironment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "Hello from the fake\n")
            let request = try #require(fixture.fake.requests.first)
            #expect(fixture.fake.requests.count == 1)
            #expect(request.format == .openAICompletions)
            #expect(request.stream)
            #expect(request.apiKey == RuntimeFixture.key)
            #expect(request.json["model"] as? String == "m1")
            let messages = try #require(request.json["messages"] as? [[String: Any]])
            #expect(messages.first?["role"] as? String == "system")
            #expect(messages.last?["role"] as? String == "user")
            #expect(messages.last?["content"] as? String == "Say hello")

            let list = try await fixture.json(["sessions", "list", "--json"])
            let sessions = try #require(list["sessions"] as? [[String: Any]])
            #expect(sessions.count == 1)
            let session = try #require(sessions.first)
            #expect(session["key"] as? String == "agent:main:main")
            #expect(session["model"] as? String == "fake/m1")
            #expect((session["eventCount"] as? Int ?? 0) >= 4)
            let sessionID = try #require(session["sessionId"] as? String)

            let show = try await fixture.json(["sessions", "show", "main", "--json"])
            #expect(show["sessionKey"] as? String == "agent:main:main")
            #expect((show["frontier"] as? [String: Any])?["sessionId"] as? String == sessionID)
            let events = try RuntimeFixture.events(show)
            let seqs = events.map(\.seq)
            #expect(seqs == Array(0..<seqs.count), "seqs are dense from 0: \(seqs)")
            #expect(seqs.count == session["eventCount"] as? Int)
            let types = events.map(\.type)
            for type in ["session", "message", "run_start", "run_end"] { #expect(types.contains(type), "\(types)") }
            #expect(types.first == "session")
            #expect(types.last == "run_end")
            #expect(events.last?.event["status"] as? String == "completed")
            #expect(RuntimeFixture.texts(events, role: "assistant") == ["Hello from the fake"])
            #expect(RuntimeFixture.texts(events, role: "user") == ["Say hello"])
            #expect(show["nextAfter"] as? Int == seqs.last)

            let slice = try await fixture.json(["sessions", "show", "main", "--after", "1", "--limit", "2", "--json"])
            #expect(try RuntimeFixture.events(slice).map(\.seq) == [2, 3])
            #expect(slice["nextAfter"] as? Int == 3)
            let rest = try await fixture.json(["sessions", "show", "main", "--after", "3", "--json"])
            #expect(try RuntimeFixture.events(rest).map(\.seq) == Array(seqs.dropFirst(4)))
            let past = try await fixture.json(["sessions", "show", "main", "--after", String(seqs.last ?? 0), "--json"])
            #expect(try RuntimeFixture.events(past).isEmpty)
            #expect(past["nextAfter"] as? Int == seqs.last)
        }
    }

    @Test(arguments: [true, false])
    func agentRunsAToolThroughTheCLI(stream: Bool) async throws {
        try await RuntimeFixture.with(.anthropicMessages) { fixture in
            let call = FakeToolCall(id: "toolu_1", name: "write", argumentsJSON: #"{"path":"notes/a.md","content":"alpha beta"}"#)
            fixture.fake.enqueue(.toolCalls([call], text: nil), .text("done"))
            let run = try await fixture.run(["agent", "-m", "Write the note"] + (stream ? [] : ["--no-stream"]),
                                            environment: RuntimeFixture.keyEnvironment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.hasSuffix("done\n"), "\(run.stdout)")
            #expect(run.stderr.contains("[write] path=notes/a.md"), "\(run.stderr)")
            #expect(!run.stderr.contains("[write failed]"))

            let cat = try await fixture.run(["vfs", "cat", "/notes/a.md"])
            #expect(cat.status == 0, "\(cat.stderr)")
            #expect(cat.stdout == "alpha beta")

            let requests = fixture.fake.requests
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0.format == .anthropicMessages && $0.stream == stream && $0.apiKey == RuntimeFixture.key })
            #expect(requests.first?.headers["x-api-key"] == RuntimeFixture.key)
            let second = try #require(requests.dropFirst().first)
            let messages = try #require(second.json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user"])
            let toolUse = (messages[1]["content"] as? [[String: Any]])?.first { $0["type"] as? String == "tool_use" }
            #expect(toolUse?["id"] as? String == "toolu_1")
            #expect((toolUse?["input"] as? [String: Any])?["content"] as? String == "alpha beta")
            let result = try #require((messages[2]["content"] as? [[String: Any]])?.first { $0["type"] as? String == "tool_result" })
            #expect(result["tool_use_id"] as? String == "toolu_1")
            #expect(result["is_error"] as? Bool == false)
            #expect(result["content"] as? String == "wrote 10 bytes to /notes/a.md")

            let events = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"]))
            let toolResult = events.first { ($0.event["message"] as? [String: Any])?["role"] as? String == "toolResult" }
            #expect((toolResult?.event["message"] as? [String: Any])?["toolName"] as? String == "write")
            #expect(events.last?.event["status"] as? String == "completed")
            #expect(events.last?.event["toolCalls"] as? Int == 1)
            #expect(events.last?.event["turns"] as? Int == 2)
        }
    }

    @Test func agentJSONPrintsOneObject() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.text("forty two"))
            let run = try await fixture.run(["agent", "-m", "What is the answer?", "--json"], environment: RuntimeFixture.keyEnvironment)
            #expect(run.status == 0, "\(run.stderr)")
            let object = try #require(try run.json() as? [String: Any], "\(run.stdout)")
            #expect(object["text"] as? String == "forty two")
            #expect(object["sessionKey"] as? String == "agent:main:main")
            #expect(object["model"] as? String == "fake/m1")
            #expect(object["turns"] as? Int == 1)
            #expect(object["toolCalls"] as? Int == 0)
            let runID = try #require(object["runId"] as? String)
            #expect(!runID.isEmpty)
            let usage = try #require(object["usage"] as? [String: Any])
            #expect((usage["input"] as? Int ?? 0) > 0)
            #expect((usage["output"] as? Int ?? 0) > 0)
            // Nothing streams with --json: the provider was asked for one complete answer.
            #expect(fixture.fake.requests.map(\.stream) == [false])

            let sessions = try #require(try await fixture.json(["sessions", "list", "--json"])["sessions"] as? [[String: Any]])
            #expect(object["sessionId"] as? String == sessions.first?["sessionId"] as? String)
            let events = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"]))
            #expect(events.first { $0.type == "run_start" }?.event["runId"] as? String == runID)
            #expect(events.last?.event["runId"] as? String == runID)
        }
    }

    // MARK: agent errors

    @Test func agentWithoutAProviderIsAUsageError() async throws {
        let directory = TemporaryDirectory()
        let cli = CLIRunner(state: directory.path + "/state")
        let run = try await RuntimeFixture.run(cli, ["agent", "-m", "hi"], environment: RuntimeFixture.keyEnvironment)
        #expect(run.status == 64)
        #expect(run.stderr.contains("no model"), "\(run.stderr)")
        #expect(run.stderr.contains("openclaw models providers set"))
        #expect(run.stdout.isEmpty)
    }

    @Test func agentWithoutAKeyNamesTheVariable() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let run = try await fixture.run(["agent", "-m", "hi"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("FAKE_API_KEY"), "\(run.stderr)")
            #expect(fixture.fake.requests.isEmpty)
            // A run that cannot start writes no message to replay later, nor an empty session.
            let show = try await fixture.run(["sessions", "show", "main", "--json"])
            #expect(show.status != 0, "\(show.stdout)")
        }
    }

    @Test func listingAllAgentsSkipsAnUnreadableDatabaseAndMergesTheRest() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.text("one"), .text("two"))
            #expect(try await fixture.run(["agent", "-m", "a"], environment: RuntimeFixture.keyEnvironment).status == 0)
            #expect(try await fixture.run(["agent", "-m", "b", "--agent", "ops", "--session", "work"], environment: RuntimeFixture.keyEnvironment).status == 0)
            try FileManager.default.createDirectory(atPath: fixture.state + "/agents/bad/agent", withIntermediateDirectories: true)
            try Data("not a database, not at all".utf8).write(to: URL(fileURLWithPath: fixture.state + "/agents/bad/agent/openclaw-agent.sqlite"))
            let listed = try await fixture.run(["sessions", "list", "--all-agents", "--json"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stderr.contains("skipped agent bad"))
            let document = try #require(try listed.json() as? [String: Any])
            let keys = (document["sessions"] as? [[String: Any]])?.compactMap { $0["key"] as? String }
            #expect(keys == ["agent:ops:work", "agent:main:main"], "merged, most recent first")
            #expect((document["skipped"] as? [[String: Any]])?.first?["agentId"] as? String == "bad")
            let limited = try await fixture.json(["sessions", "list", "--all-agents", "--limit", "1", "--json"])
            #expect((limited["sessions"] as? [[String: Any]])?.count == 1, "the limit applies to the merged list")
            let bad = try await fixture.run(["sessions", "list", "--agent", "bad"])
            #expect(bad.status == 65, "one unusable database alone is an error: \(bad.stderr)")
        }
    }

    @Test func agentRejectedKeyFailsAndTheTranscriptSaysAuthentication() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.setKeyRule(RuntimeFixture.key, .unauthorized)
            let run = try await fixture.run(["agent", "-m", "hi"], environment: RuntimeFixture.keyEnvironment)
            #expect(run.status == 1)
            #expect(run.stderr.contains("401"), "\(run.stderr)")
            #expect(!run.stderr.contains(RuntimeFixture.key))
            #expect(!run.stdout.contains(RuntimeFixture.key))
            #expect(fixture.fake.requests.count == 1, "an authentication failure is not retried")

            let show = try await fixture.run(["sessions", "show", "main", "--json"])
            #expect(!show.stdout.contains(RuntimeFixture.key))
            let events = try RuntimeFixture.events(try #require(try show.json() as? [String: Any]))
            let last = try #require(events.last)
            #expect(last.type == "run_end")
            #expect(last.event["status"] as? String == "failed")
            let error = try #require(last.event["error"] as? [String: Any])
            #expect(error["code"] as? String == "authentication")
            #expect(error["httpStatus"] as? Int == 401)
        }
    }

    @Test func agentModelWithoutASlashIsAUsageError() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let run = try await fixture.run(["agent", "-m", "hi", "--model", "nonsense"], environment: RuntimeFixture.keyEnvironment)
            #expect(run.status == 64)
            #expect(run.stderr.contains("provider/model"), "\(run.stderr)")
            let unknown = try await fixture.run(["agent", "-m", "hi", "--model", "fake/m2"], environment: RuntimeFixture.keyEnvironment)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("no model 'm2'"), "\(unknown.stderr)")
            #expect(fixture.fake.requests.isEmpty)
        }
    }

    // MARK: key rotation

    @Test func rateLimitedKeyRotatesToTheNextEnvironmentKey() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.setKeyRule(RuntimeFixture.firstKey, .rateLimited)
            fixture.fake.enqueue(.text("rotated"))
            let run = try await fixture.run(["agent", "-m", "hi"], environment: RuntimeFixture.twoKeysEnvironment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "rotated\n")
            #expect(fixture.fake.requests.map(\.apiKey) == [RuntimeFixture.firstKey, RuntimeFixture.secondKey])
            let events = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"]))
            #expect(events.first { $0.type == "run_start" }?.event["credentials"] as? Int == 2)
            let assistant = events.last { ($0.event["message"] as? [String: Any])?["role"] as? String == "assistant" }
            #expect((assistant?.event["message"] as? [String: Any])?["credential"] as? String == "env:FAKE_API_KEYS")
        }
    }

    @Test func everyKeyRateLimitedFailsAfterOneRequestPerKey() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.setKeyRule(RuntimeFixture.firstKey, .rateLimited)
            fixture.fake.setKeyRule(RuntimeFixture.secondKey, .rateLimited)
            let run = try await fixture.run(["agent", "-m", "hi"], environment: RuntimeFixture.twoKeysEnvironment)
            #expect(run.status == 1)
            #expect(run.stderr.contains("rate-limited"), "\(run.stderr)")
            #expect(!run.stderr.contains(RuntimeFixture.firstKey) && !run.stderr.contains(RuntimeFixture.secondKey))
            #expect(fixture.fake.requests.map(\.apiKey) == [RuntimeFixture.firstKey, RuntimeFixture.secondKey])
            let events = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"]))
            #expect(events.last?.event["status"] as? String == "failed")
            #expect((events.last?.event["error"] as? [String: Any])?["code"] as? String == "rate_limited")
        }
    }

    // MARK: models status and auth

    @Test func modelsStatusMasksTheKeyAndCheckReflectsCredentials() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let status = try await fixture.run(["models", "status", "--json"], environment: RuntimeFixture.keyEnvironment)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(!status.stdout.contains(RuntimeFixture.key) && !status.stderr.contains(RuntimeFixture.key))
            let object = try #require(try status.json() as? [String: Any])
            #expect(object["defaultModel"] as? String == "fake/m1")
            let provider = try #require((object["providers"] as? [[String: Any]])?.first)
            #expect(provider["id"] as? String == "fake")
            #expect(provider["status"] as? String == "ok")
            let credential = try #require((provider["credentials"] as? [[String: Any]])?.first)
            #expect(credential["masked"] as? String == "****1111")
            #expect(credential["label"] as? String == "env:FAKE_API_KEY")
            #expect(credential["source"] as? String == "env")
            let text = try await fixture.run(["models", "status"], environment: RuntimeFixture.keyEnvironment)
            #expect(text.stdout.contains("****1111"))
            #expect(!text.stdout.contains(RuntimeFixture.key))

            #expect(try await fixture.run(["models", "status", "--check"], environment: RuntimeFixture.keyEnvironment).status == 0)
            let missing = try await fixture.run(["models", "status", "--check"])
            #expect(missing.status == 1)
            #expect(missing.stdout.contains("FAKE_API_KEY"), "\(missing.stdout)")
            #expect(fixture.fake.requests.isEmpty, "--check sends nothing")

            let token = "tok-expiring-cccccccccccc2222"
            let paste = try await fixture.run(["models", "auth", "paste-token", "--provider", "fake", "--type", "token", "--expires-in", "3600"],
                                              stdin: Data((token + "\n").utf8))
            #expect(paste.status == 0, "\(paste.stderr)")
            #expect(paste.stdout.contains("****2222"))
            #expect(!paste.stdout.contains(token) && !paste.stderr.contains(token))
            let expiring = try await fixture.run(["models", "status", "--check", "--json"])
            #expect(expiring.status == 2)
            #expect(!expiring.stdout.contains(token))
            let expiringProvider = try #require(((try expiring.json() as? [String: Any])?["providers"] as? [[String: Any]])?.first)
            #expect(expiringProvider["status"] as? String == "expiring")
            let profile = try #require((expiringProvider["credentials"] as? [[String: Any]])?.first)
            #expect(profile["label"] as? String == "fake:default")
            #expect(profile["type"] as? String == "token")
            #expect(profile["masked"] as? String == "****2222")
            #expect(profile["expiresAtMs"] is Int)
        }
    }

    @Test func modelsStatusProbeReportsNoModelForAProviderWithoutModels() async throws {
        let directory = TemporaryDirectory()
        let cli = CLIRunner(state: directory.path + "/state")
        #expect(try await RuntimeFixture.run(cli, ["models", "providers", "set", "bare", "--api", "openai-completions", "--base-url", "http://127.0.0.1:9/v1"]).status == 0)
        let status = try await RuntimeFixture.run(cli, ["models", "status", "--probe", "--json"], environment: ["BARE_API_KEY": "sk-bare-aaaaaaaaaaaa"])
        #expect(status.status == 1, "no credential could be shown to work: \(status.stderr)")
        let document = try #require(try status.json() as? [String: Any])
        let credentials = try RuntimeFixture.credentials(document)
        let probe = try #require(credentials.first?["probe"] as? [String: Any])
        #expect(probe["status"] as? String == "no_model")
        #expect(!status.stdout.contains("sk-bare-aaaaaaaaaaaa"))
    }

    @Test func modelsStatusProbeReportsOkAndAuthentication() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let working = try await fixture.run(["models", "status", "--probe", "--json"], environment: RuntimeFixture.keyEnvironment)
            #expect(working.status == 0, "\(working.stderr)")
            let ok = try #require(RuntimeFixture.credentials(try working.json()).first)
            #expect((ok["probe"] as? [String: Any])?["status"] as? String == "ok")
            #expect(fixture.fake.requests.count == 1)
            #expect(fixture.fake.requests.first?.json["max_tokens"] as? Int == 1)
            #expect(fixture.fake.requests.first?.apiKey == RuntimeFixture.key)

            fixture.fake.setKeyRule(RuntimeFixture.key, .unauthorized)
            let rejected = try await fixture.run(["models", "status", "--probe", "--json"], environment: RuntimeFixture.keyEnvironment)
            #expect(rejected.status == 1)
            #expect(!rejected.stdout.contains(RuntimeFixture.key) && !rejected.stderr.contains(RuntimeFixture.key))
            let failed = try #require(RuntimeFixture.credentials(try rejected.json()).first)
            #expect((failed["probe"] as? [String: Any])?["status"] as? String == "authentication")
            #expect(fixture.fake.requests.count == 2, "a probe is not retried")
        }
    }

    @Test func authOrderExcludesProfilesAndRoundTrips() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            let secrets = ["fake:a": "sk-profile-a-aaaaaaaaaaaa", "fake:b": "sk-profile-b-bbbbbbbbbbbb"]
            for (id, secret) in secrets.sorted(by: { $0.key < $1.key }) {
                let paste = try await fixture.run(["models", "auth", "paste-token", "--provider", "fake", "--type", "api_key", "--profile-id", id],
                                                  stdin: Data(secret.utf8))
                #expect(paste.status == 0, "\(paste.stderr)")
            }
            let list = try await fixture.run(["models", "auth", "list", "--json"])
            #expect(secrets.values.allSatisfy { !list.stdout.contains($0) })
            let profiles = try #require((try list.json() as? [String: Any])?["profiles"] as? [[String: Any]])
            #expect(profiles.map { $0["id"] as? String } == ["fake:a", "fake:b"])
            #expect(profiles.map { $0["masked"] as? String } == ["****aaaa", "****bbbb"])

            let set = try await fixture.run(["models", "auth", "order", "set", "--provider", "fake", "fake:a"])
            #expect(set.status == 0, "\(set.stderr)")
            let ordered = try await fixture.json(["models", "auth", "order", "get", "--provider", "fake", "--json"])
            #expect(ordered["order"] as? [String] == ["fake:a"])

            let probe = try await fixture.run(["models", "status", "--probe", "--json"])
            #expect(probe.status == 0, "\(probe.stderr)")
            #expect(secrets.values.allSatisfy { !probe.stdout.contains($0) })
            let rows = try RuntimeFixture.credentials(try probe.json())
            let excluded = try #require(rows.first { $0["label"] as? String == "fake:b" })
            #expect(excluded["status"] as? String == "excluded_by_auth_order")
            let used = try #require(rows.first { $0["label"] as? String == "fake:a" })
            #expect((used["probe"] as? [String: Any])?["status"] as? String == "ok")
            #expect(fixture.fake.requests.map(\.apiKey) == [secrets["fake:a"]])

            #expect(try await fixture.run(["models", "auth", "order", "clear", "--provider", "fake"]).status == 0)
            let cleared = try await fixture.json(["models", "auth", "order", "get", "--provider", "fake", "--json"])
            #expect(cleared["order"] is NSNull)
            let status = try await fixture.run(["models", "status", "--json"])
            let labels = try RuntimeFixture.credentials(try status.json()).map { $0["label"] as? String }
            #expect(labels == ["fake:a", "fake:b"])
            let missing = try await fixture.run(["models", "auth", "order", "set", "--provider", "fake", "fake:zzz"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no auth profile 'fake:zzz'"), "\(missing.stderr)")
        }
    }

    // MARK: sessions

    @Test func sessionsResetExportAndDelete() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            fixture.fake.enqueue(.text("first answer"), .text("second answer"))
            #expect(try await fixture.run(["agent", "-m", "first question"], environment: RuntimeFixture.keyEnvironment).status == 0)
            let before = try #require((try await fixture.json(["sessions", "list", "--json"])["sessions"] as? [[String: Any]])?.first)
            let oldID = try #require(before["sessionId"] as? String)

            let reset = try await fixture.json(["sessions", "reset", "main", "--reason", "fresh start", "--json"])
            #expect(reset["previousSessionId"] as? String == oldID)
            let newID = try #require(reset["sessionId"] as? String)
            #expect(newID != oldID)
            let after = try #require((try await fixture.json(["sessions", "list", "--json"])["sessions"] as? [[String: Any]])?.first)
            #expect(after["sessionId"] as? String == newID)
            #expect(after["eventCount"] as? Int == 1)
            let header = try #require(try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"])).first)
            #expect(header.type == "session")
            #expect(header.event["previousSessionId"] as? String == oldID)
            #expect(header.event["reason"] as? String == "reset")
            let old = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--session-id", oldID, "--json"]))
            #expect(RuntimeFixture.texts(old, role: "user") == ["first question"])
            #expect(RuntimeFixture.texts(old, role: "assistant") == ["first answer"])
            #expect(old.first?.event["id"] as? String == oldID)

            // The new session id starts without the old conversation.
            #expect(try await fixture.run(["agent", "-m", "second question"], environment: RuntimeFixture.keyEnvironment).status == 0)
            let secondRequest = try #require(fixture.fake.requests.last)
            let sent = try #require(secondRequest.json["messages"] as? [[String: Any]])
            #expect(sent.compactMap { $0["content"] as? String }.filter { $0.contains("first") }.isEmpty)

            let jsonl = try await fixture.run(["sessions", "export", "main", "--format", "jsonl"])
            #expect(jsonl.status == 0, "\(jsonl.stderr)")
            let lines = jsonl.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "", "the export ends with a newline")
            let objects = lines.dropLast().map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            #expect(objects.count == 5)
            #expect(objects.allSatisfy { $0 != nil }, "\(jsonl.stdout)")
            #expect(objects.map { $0?["type"] as? String } == ["session", "message", "run_start", "message", "run_end"])
            #expect(objects.first??["id"] as? String == newID)

            let markdown = try await fixture.run(["sessions", "export", "main", "--format", "md"])
            #expect(markdown.status == 0, "\(markdown.stderr)")
            #expect(markdown.stdout.hasPrefix("# Session agent:main:main\n"), "\(markdown.stdout)")
            #expect(markdown.stdout.contains("Session id `\(newID)`, 5 events."))
            #expect(markdown.stdout.contains("## User"))
            #expect(markdown.stdout.contains("## Assistant"))
            #expect(markdown.stdout.contains("second answer"))
            #expect(!markdown.stdout.contains("first answer"))

            let delete = try await fixture.json(["sessions", "delete", "main", "--json"])
            #expect(delete["deletedEvents"] as? Int == 10)
            let gone = try await fixture.run(["sessions", "show", "main"])
            #expect(gone.status == 1)
            #expect(gone.stderr.contains("no session agent:main:main"), "\(gone.stderr)")
            #expect(try await fixture.run(["sessions", "show", "main", "--session-id", oldID]).status == 1)
            let empty = try await fixture.json(["sessions", "list", "--json"])
            #expect(empty["count"] as? Int == 0)
        }
    }

    // MARK: skills

    @Test func skillsUploadListAndRefusals() async throws {
        let directory = TemporaryDirectory()
        let cli = CLIRunner(state: directory.path + "/state")
        let skill = TemporaryDirectory()
        try skill.write("SKILL.md", "---\ndescription: Demo skill\n---\n# Demo\n")
        try skill.write("scripts/run.sh", "echo demo\n")

        let upload = try await RuntimeFixture.run(cli, ["skills", "upload", skill.path, "--slug", "demo"])
        #expect(upload.status == 0, "\(upload.stderr)")
        #expect(upload.stdout.hasPrefix("uploaded skill demo: 2 file(s)"), "\(upload.stdout)")
        let list = try await RuntimeFixture.run(cli, ["skills", "list", "--json"])
        let skills = try #require((try list.json() as? [String: Any])?["skills"] as? [[String: Any]])
        #expect(skills.count == 1)
        let record = try #require(skills.first)
        #expect(record["slug"] as? String == "demo")
        #expect(record["files"] as? Int == 2)
        #expect(record["description"] as? String == "Demo skill")
        let digest = try #require(record["sha256"] as? String)
        #expect(digest.count == 64 && digest.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(digest)")
        let stored = try await RuntimeFixture.run(cli, ["vfs", "cat", "/demo/scripts/run.sh", "--ns", "skills"])
        #expect(stored.stdout == "echo demo\n")

        let again = try await RuntimeFixture.run(cli, ["skills", "upload", skill.path, "--slug", "demo"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("--force"), "\(again.stderr)")
        let forced = try await RuntimeFixture.run(cli, ["skills", "upload", skill.path, "--slug", "demo", "--force", "--json"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect((try forced.json() as? [String: Any])?["sha256"] as? String == digest, "the same files give the same digest")

        let listingBefore = try await RuntimeFixture.run(cli, ["vfs", "ls", "-R", "/", "--ns", "skills"])
        let notASkill = TemporaryDirectory()
        try notASkill.write("README.md", "no skill here\n")
        let refused = try await RuntimeFixture.run(cli, ["skills", "upload", notASkill.path, "--slug", "other"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("SKILL.md"), "\(refused.stderr)")
        let listingAfter = try await RuntimeFixture.run(cli, ["vfs", "ls", "-R", "/", "--ns", "skills"])
        #expect(listingAfter.stdout == listingBefore.stdout)
        #expect(!listingAfter.stdout.contains("other"))
        #expect(try await RuntimeFixture.run(cli, ["vfs", "ls", "/other", "--ns", "skills"]).status == 1)

        let badSlug = try await RuntimeFixture.run(cli, ["skills", "upload", skill.path, "--slug", "Bad Slug"])
        #expect(badSlug.status == 64)
        #expect(badSlug.stderr.contains("invalid skill slug"), "\(badSlug.stderr)")
        let final = try await RuntimeFixture.run(cli, ["skills", "list", "--json"])
        #expect(((try final.json() as? [String: Any])?["skills"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["demo"])
    }

    // MARK: doctor

    @Test func doctorOnAFreshStateReportsSoundDatabases() async throws {
        let directory = TemporaryDirectory()
        let cli = CLIRunner(state: directory.path + "/state")
        // A brand-new state root is healthy too (doctor creates nothing), with a note.
        let empty = try await RuntimeFixture.run(cli, ["doctor", "--json"])
        #expect(empty.status == 0, "\(empty.stdout)\(empty.stderr)")
        #expect((try empty.json() as? [String: Any])?["notes"] as? [String] != [])
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/state/state/openclaw.sqlite"))
        #expect(try await RuntimeFixture.run(cli, ["models", "list"]).status == 0, "any runtime command creates the databases")
        let doctor = try await RuntimeFixture.run(cli, ["doctor", "--json"])
        #expect(doctor.status == 0, "\(doctor.stdout)\(doctor.stderr)")
        let report = try #require(try doctor.json() as? [String: Any])
        #expect(report["healthy"] as? Bool == true)
        let databases = try #require(report["databases"] as? [[String: Any]])
        #expect(databases.map { $0["role"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["agent", "global"])
        for database in databases {
            #expect(database["integrity"] as? [String] == ["ok"])
            #expect((database["problems"] as? [String])?.isEmpty == true)
        }
        #expect((report["legacy"] as? [Any])?.isEmpty == true)
    }

    @Test func doctorFixImportsLegacyFilesOnce() async throws {
        let directory = TemporaryDirectory()
        let state = directory.path + "/state"
        let cli = CLIRunner(state: state)
        let legacyKey = "sk-legacy-aaaaaaaaaaaaaaaa"
        let files = try RuntimeFixture.writeLegacyFixtures(state: state, authJSON: #"{"openai":{"apiKey":"\#(legacyKey)"}}"#)

        let inspect = try await RuntimeFixture.run(cli, ["doctor"])
        #expect(inspect.status == 1)
        #expect(inspect.stdout.contains(files.auth), "\(inspect.stdout)")
        #expect(inspect.stdout.contains(files.index))
        #expect(inspect.stdout.contains("doctor --fix"))
        #expect(!inspect.stdout.contains(legacyKey))
        #expect(files.all.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "doctor without --fix changes nothing")

        let fix = try await RuntimeFixture.run(cli, ["doctor", "--fix", "--json"])
        #expect(fix.status == 0, "\(fix.stdout)\(fix.stderr)")
        #expect(!fix.stdout.contains(legacyKey) && !fix.stderr.contains(legacyKey))
        let report = try #require(try fix.json() as? [String: Any])
        let imports = try #require(report["imports"] as? [[String: Any]])
        #expect(imports.map { $0["kind"] as? String } == ["auth.json", "sessions"])
        #expect(imports.allSatisfy { $0["status"] as? String == "imported" }, "\(imports)")
        #expect((report["legacy"] as? [Any])?.isEmpty == true)
        #expect(files.all.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "imported files are removed")

        let auth = try await RuntimeFixture.run(cli, ["models", "auth", "list", "--json"])
        #expect(!auth.stdout.contains(legacyKey))
        let profiles = try #require((try auth.json() as? [String: Any])?["profiles"] as? [[String: Any]])
        #expect(profiles.count == 1)
        #expect(profiles.first?["id"] as? String == "openai:default")
        #expect(profiles.first?["type"] as? String == "api_key")
        #expect(profiles.first?["masked"] as? String == "****aaaa")

        let sessions = try await RuntimeFixture.run(cli, ["sessions", "list", "--json"])
        let session = try #require(((try sessions.json() as? [String: Any])?["sessions"] as? [[String: Any]])?.first)
        #expect(session["key"] as? String == "agent:main:main")
        #expect(session["sessionId"] as? String == "s-legacy-1")
        #expect(session["updatedAtMs"] as? Int == 1_700_000_000_000)
        let show = try await RuntimeFixture.run(cli, ["sessions", "show", "main", "--json"])
        let events = try RuntimeFixture.events(try #require(try show.json() as? [String: Any]))
        #expect(events.map(\.type) == ["session", "message", "message"])
        #expect(events.dropFirst().map { $0.event["id"] as? String } == ["m-1", "m-2"])
        #expect(events.last?.event["parentId"] as? String == "m-1")
        #expect(events.last?.event["timestamp"] as? String == "2024-01-01T00:00:02.000Z")
        #expect(RuntimeFixture.texts(events, role: "user") == ["legacy question"])
        #expect(RuntimeFixture.texts(events, role: "assistant") == ["legacy answer"])

        let second = try await RuntimeFixture.run(cli, ["doctor", "--fix", "--json"])
        #expect(second.status == 0, "\(second.stdout)")
        let secondReport = try #require(try second.json() as? [String: Any])
        #expect((secondReport["imports"] as? [Any])?.isEmpty == true)
        let again = try await RuntimeFixture.run(cli, ["sessions", "show", "main", "--json"])
        #expect(try RuntimeFixture.events(try #require(try again.json() as? [String: Any])).count == 3, "nothing is imported twice")
    }

    @Test func doctorFixLeavesAMalformedAuthFileInPlace() async throws {
        let directory = TemporaryDirectory()
        let state = directory.path + "/state"
        let cli = CLIRunner(state: state)
        let auth = state + "/agents/main/agent/auth.json"
        try FileManager.default.createDirectory(atPath: (auth as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: auth))

        let fix = try await RuntimeFixture.run(cli, ["doctor", "--fix"])
        #expect(fix.status == 1)
        #expect(fix.stdout.contains("import failed: auth.json \(auth)"), "\(fix.stdout)")
        #expect(fix.stdout.contains("could not be imported; it is left in place"))
        #expect(try String(contentsOfFile: auth, encoding: .utf8) == "{not json")
        let profiles = try await RuntimeFixture.run(cli, ["models", "auth", "list", "--json"])
        #expect(((try profiles.json() as? [String: Any])?["profiles"] as? [Any])?.isEmpty == true)
    }

    // MARK: abort

    @Test func interruptAbortsTheRunAndRecordsIt() async throws {
        try await RuntimeFixture.with(.openAICompletions, providerOptions: ["--timeout-ms", "30000"]) { fixture in
            fixture.fake.enqueue(.stall(text: "partial "))
            let child = try RunningCLI(arguments: ["agent", "-m", "hi", "--state", fixture.state], environment: RuntimeFixture.keyEnvironment)
            let streamed = await child.waitForOutput(containing: "partial", timeout: .seconds(10))
            #expect(streamed, "no streamed text: \(child.output) \(child.errors)")

            child.signal(SIGINT)
            var exited = await child.waitForExit(timeout: .seconds(10))
            #expect(exited, "SIGINT did not end the run")
            if !exited {
                child.signal(SIGTERM)
                exited = await child.waitForExit(timeout: .seconds(10))
                if !exited { child.signal(SIGKILL); _ = await child.waitForExit(timeout: .seconds(5)) }
            }
            try #require(exited)
            #expect(child.status == 130, "stderr: \(child.errors)")
            #expect(child.errors.contains("aborted"), "\(child.errors)")
            #expect(child.output == "partial \n")

            let events = try RuntimeFixture.events(try await fixture.json(["sessions", "show", "main", "--json"]))
            let last = try #require(events.last)
            #expect(last.type == "run_end")
            #expect(last.event["status"] as? String == "aborted")
            #expect((last.event["error"] as? [String: Any])?["code"] as? String == "aborted")
            #expect(fixture.fake.requests.count == 1)
        }
    }
}

// MARK: - Fixture

/// A fresh state directory with the fake provider registered as `fake` (model `m1`, the
/// agent's default), and a CLI runner that does not block Swift concurrency's threads (the fake
/// provider answers on them).
struct RuntimeFixture: Sendable {
    static let key = "sk-test-aaaaaaaaaaaaaaaa1111"
    static let keyEnvironment = ["FAKE_API_KEY": key]
    static let firstKey = "k-one-aaaaaaaaaaaa"
    static let secondKey = "k-two-bbbbbbbbbbbb"
    static let twoKeysEnvironment = ["FAKE_API_KEYS": "\(firstKey),\(secondKey)"]

    let directory: TemporaryDirectory
    let fake: FakeModelProvider
    var state: String { directory.path + "/state" }
    var cli: CLIRunner { CLIRunner(state: state) }

    /// Starts a fake provider, registers it in a new state directory, runs `body`, stops the fake.
    static func with(_ api: FakeWireFormat, providerOptions: [String] = [], _ body: (RuntimeFixture) async throws -> Void) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLIRunner.executable), "build openclaw first: \(CLIRunner.executable)")
        let fixture = RuntimeFixture(directory: TemporaryDirectory(), fake: try await FakeModelProvider.start())
        do {
            try await fixture.registerProvider(api, options: providerOptions)
            try await body(fixture)
        } catch {
            await fixture.fake.stop()
            throw error
        }
        await fixture.fake.stop()
    }

    private func registerProvider(_ api: FakeWireFormat, options: [String]) async throws {
        let baseURL = api == .openAICompletions ? fake.baseURL + "/v1" : fake.baseURL
        let set = try await run(["models", "providers", "set", "fake", "--api", api.rawValue, "--base-url", baseURL, "--model", "m1"] + options)
        try #require(set.status == 0, "\(set.stderr)")
        let select = try await run(["models", "set", "fake/m1"])
        try #require(select.status == 0, "\(select.stderr)")
    }

    /// Runs `openclaw ARGS --state STATE`.
    func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try await Self.run(cli, arguments, stdin: stdin, environment: environment)
    }

    /// Runs a command that must succeed and print a JSON object.
    func json(_ arguments: [String], environment: [String: String] = [:]) async throws -> [String: Any] {
        let result = try await run(arguments, environment: environment)
        try #require(result.status == 0, "\(arguments): \(result.status) \(result.stderr)")
        return try #require(try result.json() as? [String: Any], "\(arguments): \(result.stdout)")
    }

    /// Runs `cli` on a thread of its own. `CLIRunner.run` blocks until the process exits; on a
    /// Swift concurrency or Dispatch thread that starves the fake provider, whose handlers need
    /// those same (few) threads to answer the process.
    static func run(_ cli: CLIRunner, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try cli.run(arguments, stdin: stdin, environment: environment) })
            }.start()
        }
    }

    /// One event of `sessions show --json`.
    struct Event {
        var seq: Int
        var event: [String: Any]
        var type: String { event["type"] as? String ?? "" }
    }

    /// The events of a `sessions show --json` object.
    static func events(_ show: [String: Any]) throws -> [Event] {
        let rows = try #require(show["events"] as? [[String: Any]], "\(show)")
        return try rows.map { row in
            Event(seq: try #require(row["seq"] as? Int), event: try #require(row["event"] as? [String: Any]))
        }
    }

    /// The text of every message event with `role`.
    static func texts(_ events: [Event], role: String) -> [String] {
        events.compactMap { event -> String? in
            guard event.type == "message", let message = event.event["message"] as? [String: Any], message["role"] as? String == role else { return nil }
            let blocks = message["content"] as? [[String: Any]] ?? []
            return blocks.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined()
        }
    }

    /// The credential rows of the first provider of `models status --json`.
    static func credentials(_ status: Any) throws -> [[String: Any]] {
        let providers = try #require((status as? [String: Any])?["providers"] as? [[String: Any]], "\(status)")
        return try #require(providers.first?["credentials"] as? [[String: Any]])
    }

    /// Legacy files of agent `main`: `auth.json` with `authJSON`, and a `sessions.json` naming
    /// transcript `s-legacy-1.jsonl` (a header and two messages).
    static func writeLegacyFixtures(state: String, authJSON: String) throws -> (auth: String, index: String, transcript: String, all: [String]) {
        let agent = state + "/agents/main"
        let auth = agent + "/agent/auth.json"
        let index = agent + "/sessions/sessions.json"
        let transcript = agent + "/sessions/s-legacy-1.jsonl"
        let lines = [
            #"{"type":"session","version":1,"id":"s-legacy-1","timestamp":"2024-01-01T00:00:00.000Z"}"#,
            #"{"type":"message","id":"m-1","parentId":null,"timestamp":"2024-01-01T00:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"legacy question"}]}}"#,
            #"{"type":"message","id":"m-2","parentId":"m-1","timestamp":"2024-01-01T00:00:02.000Z","message":{"role":"assistant","content":[{"type":"text","text":"legacy answer"}]}}"#,
        ]
        for (path, text) in [(auth, authJSON), (index, #"{"agent:main:main":{"sessionId":"s-legacy-1","updatedAt":1700000000000}}"#),
                             (transcript, lines.joined(separator: "\n") + "\n")] {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        return (auth, index, transcript, [auth, index, transcript])
    }
}

/// An `openclaw` process started without waiting for it, its output collected as it comes.
final class RunningCLI: @unchecked Sendable {
    // @unchecked: `process` is only started, signalled and read; the buffers are behind a Mutex.
    private let process = Process()
    private let buffers = Mutex((stdout: Data(), stderr: Data()))

    /// Starts `executable` (default: the built `openclaw`) with `arguments`.
    init(executable: String = CLIRunner.executable, arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.buffers.withLock { $0.stdout.append(data) }
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.buffers.withLock { $0.stderr.append(data) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var output: String { buffers.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var errors: String { buffers.withLock { String(decoding: $0.stderr, as: UTF8.self) } }
    var status: Int32 { process.terminationStatus }
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Polls standard output until it contains `text`; false at the deadline.
    func waitForOutput(containing text: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return output.contains(text)
    }

    /// Polls until the process has exited and its output is drained; false at the deadline.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                // Give the readability handlers a moment to drain what the process wrote last.
                try? await Task.sleep(for: .milliseconds(100))
                return true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
