import Foundation
import GRDB
import StateStore
import Testing
@testable import AgentRuntime

@Suite struct EnvironmentKeyTests {
    @Test func keysFollowThePriorityOrderAndAreDeduplicated() {
        let environment = RuntimeEnvironment(variables: [
            "OPENAI_API_KEYS": "k1, k2;k3 k1",
            "OPENAI_API_KEY": "k2",
            "OPENAI_API_KEY_B": "k5",
            "OPENAI_API_KEY_A": "k4",
            "ANTHROPIC_API_KEY": "other",
        ])
        let keys = environment.apiKeys(provider: "openai")
        #expect(!keys.forced)
        #expect(keys.keys.map(\.value) == ["k1", "k2", "k3", "k4", "k5"])
        #expect(keys.keys.map(\.variable) == ["OPENAI_API_KEYS", "OPENAI_API_KEYS", "OPENAI_API_KEYS", "OPENAI_API_KEY_A", "OPENAI_API_KEY_B"])
    }

    @Test func theLiveKeyOverridesEverything() {
        let environment = RuntimeEnvironment(variables: ["OPENCLAW_LIVE_OPENAI_KEY": "live", "OPENAI_API_KEY": "k"])
        let keys = environment.apiKeys(provider: "openai")
        #expect(keys.forced)
        #expect(keys.keys.map(\.value) == ["live"])
    }

    @Test func googleUsesGeminiAndFallsBackToGoogleApiKey() {
        let environment = RuntimeEnvironment(variables: ["GEMINI_API_KEY": "g1", "GOOGLE_API_KEY": "g2"])
        #expect(environment.apiKeys(provider: "google").keys.map(\.value) == ["g1", "g2"])
        #expect(RuntimeEnvironment.prefix(of: "open-router") == "OPEN_ROUTER")
    }

    @Test func dotEnvIsReadAndTheProcessEnvironmentWins() throws {
        let directory = TemporaryDirectory()
        try directory.write(".env", """
            # keys
            export OPENAI_API_KEY="from-file"
            ANTHROPIC_API_KEY='quoted'
            MISTRAL_API_KEY=plain # comment
            not a line
            """)
        let environment = RuntimeEnvironment.load(stateRoot: directory.path, process: ["OPENAI_API_KEY": "from-process"])
        #expect(environment.variables["OPENAI_API_KEY"] == "from-process")
        #expect(environment.variables["ANTHROPIC_API_KEY"] == "quoted")
        #expect(environment.variables["MISTRAL_API_KEY"] == "plain")
        #expect(RuntimeEnvironment.load(stateRoot: directory.path + "/missing", process: [:]).variables.isEmpty)
    }
}

@Suite struct AuthProfileTests {
    func store() throws -> (TemporaryDirectory, AuthProfileStore) {
        let directory = TemporaryDirectory()
        let database = try StateDirectory(root: directory.path).openAgent(.main, components: AgentRuntime.agentComponents)
        return (directory, AuthProfileStore(database: database))
    }

    @Test func theStoreIsTheCanonicalDocument() throws {
        let (_, store) = try store()
        try store.save(try AuthProfile(id: "openrouter:default", provider: "openrouter", credential: .apiKey(key: "sk-or-aaaaaaaaaaaa", keyRef: nil)))
        try store.save(try AuthProfile(id: "anthropic:work", provider: "anthropic",
                                       credential: .token(token: nil, tokenRef: try SecretRef(source: .env, id: "WORK_TOKEN"), expiresAtMilliseconds: 42)))
        let text = try store.database.read { db in try String.fetchOne(db, sql: "SELECT store_json FROM auth_profile_store") }
        let document = try JSONValue.parse(try #require(text))
        #expect(document["version"] == 1)
        #expect(document["profiles"]?["openrouter:default"] == ["type": "api_key", "provider": "openrouter", "key": "sk-or-aaaaaaaaaaaa"])
        #expect(document["profiles"]?["anthropic:work"]?["tokenRef"] == ["source": "env", "provider": "default", "id": "WORK_TOKEN"])
        #expect(document["profiles"]?["anthropic:work"]?["expires"] == 42)
        #expect(try store.profiles().map(\.id) == ["anthropic:work", "openrouter:default"])
    }

    @Test func invalidProfilesAreRefused() throws {
        let (_, store) = try store()
        #expect(throws: AgentRuntimeError.self) { try AuthProfile(id: "other:default", provider: "openai", credential: .apiKey(key: "k", keyRef: nil)) }
        #expect(throws: AgentRuntimeError.self) { try AuthProfile(id: "openai:default", provider: "openai", credential: .apiKey(key: nil, keyRef: nil)) }
        #expect(throws: AgentRuntimeError.self) { try AuthProfile(id: "openai:default", provider: "openai", credential: .apiKey(key: "has space", keyRef: nil)) }
        #expect(throws: AgentRuntimeError.self) { try SecretRef(source: .file, id: "relative/path") }
        #expect(throws: AgentRuntimeError.self) { try SecretRef(source: .env, id: "BAD-NAME") }
        // OAuth profiles refuse SecretRefs; the whole document is refused and nothing is stored.
        let document: JSONValue = ["version": 1, "profiles": [
            "openai:ok": ["type": "api_key", "provider": "openai", "key": "sk-ok-aaaaaaaaaaaa"],
            "openai:oauth": ["type": "oauth", "provider": "openai", "access": "a", "tokenRef": ["source": "env", "id": "X"]],
        ]]
        #expect(throws: AgentRuntimeError.self) { try store.merge(document: document) }
        #expect(try store.profiles().isEmpty)
    }

    @Test func secretRefsResolveFromEnvFileAndExec() async throws {
        let directory = TemporaryDirectory()
        try directory.write("secret.txt", "from-file\n")
        try directory.write("secret.sh", "#!/bin/sh\necho from-exec\n")
        chmod(directory.path + "/secret.sh", 0o755)
        try directory.write("fail.sh", "#!/bin/sh\nexit 3\n")
        chmod(directory.path + "/fail.sh", 0o755)
        let resolver = SecretResolver(environment: RuntimeEnvironment(variables: ["TOKEN": "from-env"]))
        #expect(try await resolver.resolve(SecretRef(source: .env, id: "TOKEN")) == "from-env")
        #expect(try await resolver.resolve(SecretRef(source: .file, id: directory.path + "/secret.txt")) == "from-file")
        #expect(try await resolver.resolve(SecretRef(source: .exec, id: directory.path + "/secret.sh")) == "from-exec")
        await #expect(throws: AgentRuntimeError.self) { try await resolver.resolve(SecretRef(source: .env, id: "MISSING")) }
        await #expect(throws: AgentRuntimeError.self) { try await resolver.resolve(SecretRef(source: .exec, id: directory.path + "/fail.sh")) }
        await #expect(throws: AgentRuntimeError.self) { try await resolver.resolve(SecretRef(source: .file, id: directory.path + "/none")) }
    }

    @Test func aSecretProgramPastItsDeadlineIsKilled() async throws {
        let directory = TemporaryDirectory()
        let marker = directory.path + "/still-running"
        try directory.write("slow.sh", "#!/bin/sh\nsleep 8\ntouch \(marker)\necho late\n")
        chmod(directory.path + "/slow.sh", 0o755)
        var resolver = SecretResolver(environment: RuntimeEnvironment(variables: [:]))
        resolver.execTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        do {
            _ = try await resolver.resolve(SecretRef(source: .exec, id: directory.path + "/slow.sh"))
            Issue.record("a program past its deadline must fail")
        } catch let error as AgentRuntimeError {
            #expect(error.code == .secretUnavailable)
            #expect(error.message.contains("did not finish within"))
        }
        // Well before the program's own 8 s (the deadline is 300 ms; a loaded suite delays timers by
        // seconds): its session is torn down, so the `sleep` it started no longer holds the pipe.
        #expect(ContinuousClock.now - started < .seconds(6), "the deadline holds, also for what the program started")
        try await Task.sleep(for: .seconds(9))
        #expect(!FileManager.default.fileExists(atPath: marker), "the program was killed, not left running")
    }

    @Test func credentialOrderHonoursOrderLastGoodCooldownsAndExpiry() async throws {
        let (_, store) = try store()
        for name in ["default", "a", "b", "old"] {
            let credential: AuthCredential = name == "old"
                ? .token(token: "tok-old-aaaaaaaaaa", tokenRef: nil, expiresAtMilliseconds: 1000)
                : .apiKey(key: "key-\(name)-aaaaaaaaaa", keyRef: nil)
            try store.save(try AuthProfile(id: "p:\(name)", provider: "p", credential: credential))
        }
        let resolver = CredentialResolver(environment: RuntimeEnvironment(variables: ["P_API_KEY": "key-env-aaaaaaaaaa", "P_API_KEY_2": "key-a-aaaaaaaaaa"]))
        func order() async throws -> [String] {
            await resolver.candidates(provider: "p", model: "m", profiles: try store.profiles(), state: try store.state()).usable.map(\.label)
        }
        #expect(try await order() == ["p:default", "p:a", "p:b", "env:P_API_KEY"], "default first, expired skipped, env after, duplicate secret dropped")
        try store.recordSuccess(profileID: "p:b", provider: "p")
        #expect(try await order().first == "p:b", "the last good profile first")
        try store.recordRateLimit(profileID: "p:b", model: "m")
        #expect(try await order() == ["p:default", "p:a", "p:b", "env:P_API_KEY"], "a cooling profile goes last among profiles")
        let skipped = await resolver.candidates(provider: "p", model: "other", profiles: try store.profiles(), state: try store.state())
        #expect(skipped.usable.first?.label == "p:b", "the cooldown is scoped to its model")
        #expect(skipped.skipped.map(\.reason) == ["expired"])
        try store.setOrder(provider: "p", ["p:a"])
        let ordered = await resolver.candidates(provider: "p", model: "m", profiles: try store.profiles(), state: try store.state())
        #expect(ordered.usable.map(\.label) == ["p:a", "env:P_API_KEY"])
        #expect(Set(ordered.skipped.filter { $0.reason == "excluded_by_auth_order" }.map(\.label)) == ["p:default", "p:b", "p:old"])
        #expect(throws: AgentRuntimeError.self) { try store.setOrder(provider: "p", ["p:none"]) }
        try store.clearOrder(provider: "p")
        #expect(try store.order(provider: "p") == nil)
        let state = try store.state()
        #expect(state.usage["p:b"]?.errorCount == 1)
        #expect((state.usage["p:b"]?.cooldowns["m"] ?? 0) > RuntimeClock.milliseconds() + 50_000)
        // Cooldowns are per model: a limit on another model does not replace this one.
        try store.recordRateLimit(profileID: "p:b", model: "other")
        let both = try store.state().usage["p:b"]
        #expect(both?.isCoolingDown(model: "m", now: RuntimeClock.milliseconds()) == true)
        #expect(both?.isCoolingDown(model: "other", now: RuntimeClock.milliseconds()) == true)
        #expect(both?.isCoolingDown(model: "third", now: RuntimeClock.milliseconds()) == false)
        try store.recordSuccess(profileID: "p:b", provider: "p", model: "m")
        let after = try store.state().usage["p:b"]
        #expect(after?.isCoolingDown(model: "m", now: RuntimeClock.milliseconds()) == false)
        #expect(after?.isCoolingDown(model: "other", now: RuntimeClock.milliseconds()) == true)
    }

    @Test func masksShowOnlyASuffix() {
        #expect(Redaction.mask("sk-abcdefghijkl1234") == "****1234")
        #expect(Redaction.mask("short") == "****")
        let text = Redaction.redact("failed with key sk-abcdefghijklmnopqrstu and Bearer abcdefghijklmnop", secrets: [])
        #expect(!text.contains("sk-abcdefghijklmnopqrstu"))
        #expect(!text.contains("abcdefghijklmnop"))
    }
}

@Suite struct BrokenStoreTests {
    @Test func anInvalidStoredProfileIsAStorageErrorThatRemoveCanClear() throws {
        let directory = TemporaryDirectory()
        let database = try StateDirectory(root: directory.path).openAgent(.main, components: AgentRuntime.agentComponents)
        let store = AuthProfileStore(database: database)
        try store.save(try AuthProfile(id: "openai:ok", provider: "openai", credential: .apiKey(key: "sk-ok-aaaaaaaaaaaa", keyRef: nil)))
        try database.write { db in
            try db.execute(sql: """
                UPDATE auth_profile_store SET store_json = json_set(store_json, '$.profiles."openai:bad"', json('{"type":"weird","provider":"openai"}'))
                """)
        }
        do {
            _ = try store.profiles()
            Issue.record("expected the broken store to be refused")
        } catch let error as AgentRuntimeError {
            #expect(error.code == .storage)
            #expect(error.hint?.contains("openclaw models auth rm openai:bad") == true)
        }
        try store.remove("openai:bad")
        #expect(try store.profiles().map(\.id) == ["openai:ok"])
    }
}
