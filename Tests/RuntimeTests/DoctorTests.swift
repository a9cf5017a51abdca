import Foundation
import GRDB
import StateStore
import Testing
@testable import AgentRuntime

@Suite struct DoctorTests {
    func legacyState() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        try directory.write("agents/main/agent/auth.json", #"{"openai":{"apiKey":"sk-legacy-aaaaaaaaaaaa"},"anthropic":{"apiKey":"sk-ant-legacy-bbbbbbbb"}}"#)
        try directory.write("agents/main/sessions/sessions.json", #"{"agent:main:main":{"sessionId":"s-1","updatedAt":1700000000000},"work":{"sessionId":"s-2"}}"#)
        try directory.write("agents/main/sessions/s-1.jsonl", """
            {"type":"session","version":1,"id":"s-1","timestamp":"2024-01-01T00:00:00.000Z","cwd":"/home/x"}
            {"type":"message","id":"m1","timestamp":"2024-01-01T00:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"legacy hello"}]}}
            {"type":"message","id":"m2","parentId":"m1","timestamp":"2024-01-01T00:00:02.000Z","message":{"role":"assistant","content":[{"type":"text","text":"legacy answer"}]}}

            """)
        try directory.write("agents/main/sessions/s-2.jsonl", #"{"type":"message","id":"w1","message":{"role":"user","content":[{"type":"text","text":"work"}]}}"# + "\n")
        try directory.write("agents/main/sessions/s-orphan.jsonl", #"{"type":"message","id":"o1","message":{"role":"user","content":[{"type":"text","text":"orphan"}]}}"# + "\n")
        return directory
    }

    @Test func fixImportsVerifiesRecordsAndRemovesLegacyFilesOnce() throws {
        let directory = try legacyState()
        let state = StateDirectory(root: directory.path)
        let doctor = Doctor(state: state)
        let before = doctor.inspect()
        #expect(Set(before.legacy.map(\.kind)) == ["auth.json", "sessions"])
        #expect(!before.isHealthy)

        let fixed = doctor.fix()
        #expect(fixed.isHealthy, "\(fixed.problems) \(fixed.imports)")
        #expect(fixed.imports.map(\.status) == ["imported", "imported"])
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/agents/main/agent/auth.json"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/agents/main/sessions/s-1.jsonl"))

        let runtime = try AgentRuntime.open(state: state, agent: .main, environment: RuntimeEnvironment(variables: [:]))
        #expect(try runtime.authProfiles.profiles().map(\.id) == ["anthropic:default", "openai:default"])
        let main = try #require(try runtime.sessions.session(.main(.main)))
        #expect(main.sessionID == "s-1")
        #expect(main.updatedAtMilliseconds == 1_700_000_000_000)
        let events = try runtime.sessions.events("s-1")
        #expect(events.map(\.id) == ["s-1", "m1", "m2"])
        #expect(events[2].parentID == "m1")
        #expect(events[1].json["timestamp"] == "2024-01-01T00:00:01.000Z")
        #expect(try runtime.sessions.session(SessionKey("agent:main:work"))?.sessionID == "s-2")
        #expect(try runtime.sessions.session(SessionKey("agent:main:legacy:s-orphan"))?.frontier.eventCount == 2, "nothing is lost")
        // History from imported transcripts feeds the next run.
        #expect(AgentRuntime.history(from: events) == [.user("legacy hello"), .assistant(text: "legacy answer", toolCalls: [])])

        let global = try state.openGlobal(components: [RuntimeSchema.global])
        let recorded = try global.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM migration_sources WHERE source_removed = 1") }
        #expect(recorded == 5)
        #expect(try global.read { db in try String.fetchOne(db, sql: "SELECT status FROM migration_runs") } == "succeeded")

        // Idempotent: a second run finds nothing; the same file put back is recognized and not imported twice.
        #expect(doctor.fix().imports.isEmpty)
        try directory.write("agents/main/agent/auth.json", #"{"openai":{"apiKey":"sk-legacy-aaaaaaaaaaaa"},"anthropic":{"apiKey":"sk-ant-legacy-bbbbbbbb"}}"#)
        #expect(doctor.fix().imports.map(\.status) == ["already_imported"])
        #expect(try runtime.sessions.events("s-1").count == 3)
    }

    @Test func aBrokenSourceIsLeftInPlace() throws {
        let directory = TemporaryDirectory()
        try directory.write("agents/main/agent/auth.json", "{not json")
        try directory.write("agents/main/sessions/sessions.json", #"{"main":{"sessionId":"s-1"}}"#)
        try directory.write("agents/main/sessions/s-1.jsonl", "{\"type\":\"message\"}\nnot json\n")
        let report = Doctor(state: StateDirectory(root: directory.path)).fix()
        #expect(!report.isHealthy)
        #expect(report.imports.map(\.status) == ["failed", "failed"])
        #expect(report.imports[1].message?.contains("s-1.jsonl:2") == true)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/agents/main/agent/auth.json"))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/agents/main/sessions/s-1.jsonl"))
        let runtime = try AgentRuntime.open(state: StateDirectory(root: directory.path), agent: .main, environment: RuntimeEnvironment(variables: [:]))
        #expect(try runtime.sessions.list().isEmpty, "a failed import stores nothing")
    }

    @Test func inspectReportsVersionsAndIntegrity() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path)
        _ = try AgentRuntime.open(state: state, agent: .main, environment: RuntimeEnvironment(variables: [:]))
        let report = Doctor(state: state).inspect()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.databases.map(\.role) == ["global", "agent"])
        #expect(report.databases.allSatisfy { $0.integrity == ["ok"] && $0.envelopeVersion == 1 })
        #expect(report.databases[1].components["runtime"] == 3)
        #expect(report.databases[1].components["vfs"] == 3)
        #expect(report.databases[0].components["runtime-global"] == 1)
    }
}

@Suite struct RuntimeMigrationTests {
    @Test func aVersion1FileGainsTheSessionColumnsAndThePendingRuns() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path)
        do {
            let runtime = try AgentRuntime.open(state: state, agent: .main, environment: RuntimeEnvironment(variables: [:]))
            _ = try runtime.sessions.openSession(try SessionKey("agent:main:old"))
            // Back to version 1, as an older openclaw left it.
            try runtime.agentDatabase.writeWithoutTransaction { db in
                try db.execute(sql: """
                    ALTER TABLE session_nodes DROP COLUMN label;
                    ALTER TABLE session_nodes DROP COLUMN model_override;
                    DROP TABLE pending_runs;
                    UPDATE schema_components SET version = 1 WHERE component = 'runtime';
                    """)
            }
        }
        let runtime = try AgentRuntime.open(state: state, agent: .main, environment: RuntimeEnvironment(variables: [:]))
        let key = try SessionKey("agent:main:old")
        #expect(try runtime.sessions.session(key)?.label == nil, "the old row reads, its new columns NULL")
        let patched = try runtime.sessions.patch(key, label: .set("Old one"), model: .set(ModelReference(provider: "fake", model: "m1")))
        #expect(patched.label == "Old one")
        #expect(patched.modelOverride == "fake/m1")
        #expect(try runtime.sessions.patch(key, model: .clear).modelOverride == nil)
        #expect(throws: AgentRuntimeError.self) { try runtime.sessions.patch(key, label: .set("")) }
        #expect(try runtime.sessions.pendingRuns().isEmpty, "version 3's pending runs table is there")
        let report = Doctor(state: state).inspect()
        #expect(report.databases[1].components["runtime"] == 3)
        #expect(report.isHealthy, "\(report.problems)")
    }
}

@Suite struct DoctorMergeTests {
    @Test func anImportNeverReplacesNewerStateOrDropsEvents() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path)
        let runtime = try AgentRuntime.open(state: state, agent: .main, environment: RuntimeEnvironment(variables: [:]))
        let current = try runtime.sessions.openSession(.main(.main))
        try runtime.authProfiles.save(try AuthProfile(id: "openai:default", provider: "openai", credential: .apiKey(key: "sk-pasted-aaaaaaaaaaaa", keyRef: nil)))
        try directory.write("agents/main/agent/auth.json", #"{"openai":{"apiKey":"sk-legacy-aaaaaaaaaaaa"},"mistral":{"apiKey":"m-legacy-aaaaaaaa"}}"#)
        try directory.write("agents/main/sessions/sessions.json", #"{"main":{"sessionId":"old-1","updatedAt":1}}"#)
        try directory.write("agents/main/sessions/old-1.jsonl", #"{"type":"message","id":"o1","message":{"role":"user","content":[{"type":"text","text":"old"}]}}"# + "\n")
        let report = Doctor(state: state).fix()
        #expect(report.isHealthy, "\(report.imports)")
        #expect(try runtime.sessions.session(.main(.main))?.sessionID == current.sessionID, "the key in use keeps its current session")
        #expect(try runtime.sessions.windows(.main(.main)).map(\.sessionID).contains("old-1"))
        #expect(try runtime.sessions.events("old-1").count == 2)
        let profiles = try runtime.authProfiles.profiles()
        #expect(profiles.first { $0.id == "openai:default" }?.credential == .apiKey(key: "sk-pasted-aaaaaaaaaaaa", keyRef: nil), "the pasted key wins")
        #expect(profiles.contains { $0.id == "mistral:default" })
        #expect(report.imports.contains { $0.message?.contains("kept the stored profile(s) openai:default") == true })

        // The same session id written again by the old tool with a new event: kept, not deleted.
        try directory.write("agents/main/sessions/old-1.jsonl", """
            {"type":"message","id":"o1","message":{"role":"user","content":[{"type":"text","text":"old"}]}}
            {"type":"message","id":"o2","message":{"role":"user","content":[{"type":"text","text":"newer"}]}}

            """)
        let again = Doctor(state: state).fix()
        #expect(again.imports.map(\.status) == ["failed"])
        #expect(FileManager.default.fileExists(atPath: directory.path + "/agents/main/sessions/old-1.jsonl"))
    }
}
