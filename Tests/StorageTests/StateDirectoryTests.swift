import Foundation
import GRDB
import Testing
@testable import StateStore
@testable import Storage

@Suite struct StateDirectoryTests {
    @Test func agentIDs() throws {
        #expect(try AgentID("Main").value == "main")
        #expect(try AgentID("a").value == "a")
        #expect(try AgentID("agent_1-x").value == "agent_1-x")
        #expect(try AgentID(String(repeating: "a", count: 64)).value.count == 64)
        for bad in ["", "-a", "_a", "a b", "a/b", "../x", "a.b", "é", String(repeating: "a", count: 65), "a\u{0}"] {
            let error = #expect(throws: StateError.self, "\(bad.debugDescription)") { _ = try AgentID(bad) }
            #expect(error?.errno == EINVAL)
        }
    }

    @Test func layoutAndRegistration() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path + "/root")
        #expect(state.globalDatabasePath == directory.path + "/root/state/openclaw.sqlite")
        #expect(state.agentDatabasePath(try AgentID("Ops")) == directory.path + "/root/agents/ops/agent/openclaw-agent.sqlite")
        _ = try state.openAgent(try AgentID("ops"), components: [])
        _ = try state.openAgent(try AgentID("ops"), components: [])
        _ = try state.openAgent(.main, components: [])
        let registered = try state.registeredAgents()
        #expect(registered.map(\.agent.value) == ["main", "ops"])
        #expect(registered.map(\.path) == [state.agentDatabasePath(.main), state.agentDatabasePath(try AgentID("ops"))])
        #expect(mode(of: directory.path + "/root/agents/ops/agent") == 0o700)
    }

    @Test func rootFromEnvironmentOrHome() {
        #expect(StateDirectory(environment: ["OPENCLAW_STATE_DIR": "/tmp/x/../y", "HOME": "/home/u"]).root == "/tmp/y")
        #expect(StateDirectory(environment: ["HOME": "/home/u"]).root == "/home/u/.openclaw")
        #expect(StateDirectory(root: "/explicit", environment: ["OPENCLAW_STATE_DIR": "/tmp/y"]).root == "/explicit")
    }

    @Test func agentFileMovedToAnotherAgentIsRefused() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path)
        _ = try state.openAgent(try AgentID("alpha"), components: [])
        try FileManager.default.createDirectory(atPath: directory.path + "/agents/beta/agent", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: state.agentDatabasePath(try AgentID("alpha")), toPath: state.agentDatabasePath(try AgentID("beta")))
        let error = #expect(throws: StorageError.self) { _ = try state.openAgent(try AgentID("beta"), components: []) }
        #expect(error?.code == .identityMismatch)
    }

    @Test func backupArchiveHoldsEveryDatabase() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path + "/state-root")
        let agent = try state.openAgent(try AgentID("ops"), components: [])
        try agent.writer.write { db in try db.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (42)") }
        _ = try state.openAgent(.main, components: [])
        let output = directory.path + "/backup.tar"
        let report = try state.createBackup(output: output)
        #expect(report.databases.map(\.name) == ["state/openclaw.sqlite", "agents/main/agent/openclaw-agent.sqlite", "agents/ops/agent/openclaw-agent.sqlite"])
        #expect(report.databases.allSatisfy { $0.integrity == "ok" })
        #expect(mode(of: output) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: output + ".partial"))

        // The archive is a real tar: extract it with tar(1) and open the copy.
        let restore = directory.path + "/restored"
        try FileManager.default.createDirectory(atPath: restore, withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-xf", output, "-C", restore]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: restore + "/openclaw-backup.json"))) as? [String: Any]
        #expect(mode(of: restore + "/agents/ops/agent") == 0o700)
        #expect(mode(of: restore + "/agents/ops/agent/openclaw-agent.sqlite") == 0o600)
        #expect((manifest?["databases"] as? [Any])?.count == 3)
        let restored = StateDirectory(root: restore)
        let copy = try restored.openAgent(try AgentID("ops"), components: [])
        #expect(try copy.writer.read { db in try Int.fetchOne(db, sql: "SELECT x FROM t") } == 42)

        let again = #expect(throws: StateError.self) { _ = try state.createBackup(output: output) }
        #expect(again?.errno == EEXIST)
        let empty = #expect(throws: StateError.self) { _ = try StateDirectory(root: directory.path + "/nothing").createBackup(output: directory.path + "/b2.tar") }
        #expect(empty?.errno == ENOENT)
    }
}
