import AgentRuntime
import FakeProvider
import Foundation
import Gateway
import Replication
import Synchronization
import Testing
import TestSupport

/// Replication end to end on loopback: moto's S3 server, two `openclaw gateway run` processes with
/// their own state directories, each supervising its own Litestream, agents handed between them by
/// leases. Serialized: the lease deadlines are timed.
@Suite(.serialized) struct ReplicationTests {
    /// Registers the fake provider on a second state directory (its catalog is its own; an
    /// agent's default model travels with the agent).
    static func registerProvider(state: String, fixture: RuntimeFixture) async throws {
        let cli = CLIRunner(state: state)
        let set = try await RuntimeFixture.run(cli, ["models", "providers", "set", "fake", "--api", FakeWireFormat.openAICompletions.rawValue,
                                                     "--base-url", fixture.fake.baseURL + "/v1", "--model", "m1"])
        try #require(set.status == 0, "\(set.stderr)")
    }

    static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func aKilledGatewaysAgentsAreAdoptedElsewhereWithTheirSessionsAndFiles() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            try await ObjectStore.with { store in
                let stateB = fixture.directory.path + "/state-b"
                try await Self.registerProvider(state: stateB, fixture: fixture)
                for agent in ["a1", "a2", "a3"] {
                    let set = try await fixture.run(["models", "set", "fake/m1", "--agent", agent])
                    try #require(set.status == 0, "\(set.stderr)")
                }
                let a = try await ReplicatedGateway.start(state: fixture.state, hostID: "host-a", endpoint: store.endpoint, prefix: "kill")
                #expect(a.litestreamRuns, "gateway A supervises a Litestream of its own")
                let status = try await a.call("status")
                #expect(status["replication"]?["hostId"] == "host-a")
                #expect(status["replication"]?["agents"]?.arrayValue?.compactMap(\.stringValue) == ["a1", "a2", "a3", "main"], "A took back the agents registered before its start: \(status)")
                #expect((status["replication"]?["litestream"]?["pid"]?.intValue ?? 0) > 0)

                // Runs and files on a1..a3, and a4 created after the start (replicated without a restart).
                var hashes: [String: String] = [:]
                var histories: [String: [String]] = [:]
                for agent in ["a1", "a2", "a3"] {
                    fixture.fake.enqueue(.text("answer for \(agent)"))
                    #expect(try await a.chat("agent:\(agent):main", "question for \(agent)", runID: "run-\(agent)") == "final")
                    hashes[agent] = try await a.writeFile(agent, "files of \(agent)")
                    histories[agent] = try await a.history("agent:\(agent):main")
                }
                #expect(histories["a1"] == ["question for a1", "answer for a1"])
                let created = try await a.cli(["agents", "adopt", "a4", "--json"])
                try #require(created.status == 0, "\(created.stderr)")
                #expect((try created.json() as? [String: Any])?["source"] as? String == "created")
                hashes["a4"] = try await a.writeFile("a4", "a new agent")

                // A steady stream of acknowledged writes on a1 up to the kill.
                let acknowledged = Mutex<[(Int, Int64)]>([])
                let writer = Task {
                    var n = 0
                    while !Task.isCancelled {
                        n += 1
                        do {
                            try await a.writeFile("a1", "write \(n)")
                            acknowledged.withLock { $0.append((n, Self.milliseconds())) }
                        } catch { break }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
                try await Task.sleep(for: .seconds(2))
                let killedAt = Self.milliseconds()
                a.process.signal(SIGKILL)
                let killed = ContinuousClock.now
                writer.cancel()
                _ = await writer.value
                #expect(await a.process.waitForExit(timeout: .seconds(5)))
                try await Task.sleep(for: .milliseconds(300))
                #expect(!a.litestreamRuns, "A's Litestream died with A (it must not write a replica B is about to own)")

                let b = try await ReplicatedGateway.start(state: stateB, hostID: "host-b", endpoint: store.endpoint, prefix: "kill")
                let refused = try await b.cli(["agents", "adopt", "a2"])
                #expect(refused.status == 1 && refused.stderr.contains("AGENT_ELSEWHERE") && refused.stderr.contains("host-a"),
                        "while A's lease runs, B may not adopt: \(refused.stderr)")
                let adoption = try await b.adopt("a1", timeout: .seconds(15))
                let rto = ContinuousClock.now - killed
                #expect(adoption?["source"] as? String == "restored", "\(String(describing: adoption))")
                for agent in ["a2", "a3", "a4"] {
                    #expect(try await b.adopt(agent, timeout: .seconds(5))?["source"] as? String == "restored")
                }
                print("replication: RTO (kill -9 of A to B serving a1) \(rto); lease \(ReplicatedGateway.leaseSeconds) s")

                // The same sessions, transcripts and files.
                for agent in ["a2", "a3", "a4"] {
                    #expect(try await b.readFile(agent).hash == hashes[agent], "agent \(agent)'s file, by content hash")
                }
                for agent in ["a1", "a2", "a3"] {
                    #expect(try await b.history("agent:\(agent):main") == histories[agent], "agent \(agent)'s transcript")
                }
                fixture.fake.enqueue(.text("B answers"))
                #expect(try await b.chat("agent:a2:main", "still there?", runID: "run-on-b") == "final", "B runs the adopted agent's sessions")

                // The loss window: every write acknowledged more than 1 s before the kill is on B.
                let restored = try #require(try await b.readFile("a1").content)
                let last = try #require(Int(restored.dropFirst("write ".count)), "a1 holds \(restored)")
                let writes = acknowledged.withLock { $0 }
                let lostFrom = writes.first { $0.0 == last + 1 }.map { killedAt - $0.1 } ?? 0
                print("replication: \(writes.count) writes acknowledged, the last \(writes.last.map { killedAt - $0.1 } ?? 0) ms before the kill; "
                      + "B has write \(last): loss window \(lostFrom) ms")
                #expect(writes.filter { $0.1 <= killedAt - 1000 }.allSatisfy { $0.0 <= last }, "writes older than 1 s before the kill are kept")
                #expect(lostFrom <= 1000)
                // A comes back: the agents B took are not served by A, and A's stale copies are archived.
                let back = try await ReplicatedGateway.start(state: fixture.state, hostID: "host-a", endpoint: store.endpoint, prefix: "kill")
                do {
                    _ = try await back.readFile("a1")
                    Issue.record("the restarted A served an agent B owns")
                } catch let error as GatewayError {
                    #expect(error.details["code"] == "AGENT_ELSEWHERE" && error.details["owner"]?.stringValue == b.url, "\(error)")
                }
                #expect(!FileManager.default.fileExists(atPath: fixture.state + "/agents/a1"), "A's stale copy of a1 is archived")
                await back.stop()
                await b.stop()
                #expect(!b.litestreamRuns, "B's Litestream stops with B")
            }
        }
    }

    @Test func splitBrainIsRefusedAndAGatewayCutOffFromTheStoreStopsBeforeItsLeaseEnds() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            try await ObjectStore.with { store in
                let relay = try await Relay(to: store, directory: fixture.directory.path)
                let stateB = fixture.directory.path + "/state-b"
                try await Self.registerProvider(state: stateB, fixture: fixture)
                let a = try await ReplicatedGateway.start(state: fixture.state, hostID: "host-a", endpoint: relay.endpoint, prefix: "split")
                let b = try await ReplicatedGateway.start(state: stateB, hostID: "host-b", endpoint: store.endpoint, prefix: "split", extra: ["--openai-http"])
                #expect(try await a.cli(["agents", "adopt", "a1"]).status == 0)
                try await a.writeFile("a1", "A's version")

                // Refused while A holds the lease: the CLI, the gateway protocol and the OpenAI endpoint.
                let refused = try await b.cli(["agents", "adopt", "a1"])
                #expect(refused.status == 1 && refused.stderr.contains("AGENT_ELSEWHERE") && refused.stderr.contains(a.url), "\(refused.stderr)")
                do {
                    _ = try await b.readFile("a1")
                    Issue.record("B served an agent A holds")
                } catch let error as GatewayError {
                    #expect(error.code == .unavailable)
                    #expect(error.details["owner"]?.stringValue == a.url, "details.owner is A's URL: \(error.details)")
                }
                let misdirected = try await offCooperativePool { try b.openAIStatus(model: "openclaw/a1") }
                #expect(misdirected == "421 \(a.url) \(a.url)", "an OpenAI client is sent to A: \(misdirected)")
                let where_ = try await b.cli(["agents", "where", "a1", "--json"])
                #expect((try where_.json() as? [String: Any])?["owner"] as? String == "host-a")

                // A loses the store: it stops serving a1 before its lease can end anywhere.
                // Past the loss window, A's version is in the replica; then the store goes away.
                try await Task.sleep(for: .milliseconds(1500))
                await relay.cut()
                var lastAccepted: Int64 = 0
                let deadline = ContinuousClock.now + .seconds(Int64(ReplicatedGateway.leaseSeconds * 2))
                while ContinuousClock.now < deadline {
                    do {
                        try await a.writeFile("a1", "A writes on")
                        lastAccepted = Self.milliseconds()
                    } catch {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let stored = try #require(try await store.client().get("split/leases/a1"))
                let expiresAt = try JSONDecoder().decode(Lease.self, from: stored.body).expiresAt
                #expect(lastAccepted > 0 && lastAccepted < expiresAt, "A's last write (\(lastAccepted)) came before its lease's end (\(expiresAt))")
                print("replication: cut off from the store, A stopped writing \(expiresAt - lastAccepted) ms before its lease's end")
                do {
                    _ = try await a.readFile("a1")
                    Issue.record("A still serves a1 after losing its lease")
                } catch let error as GatewayError {
                    #expect(error.code == .unavailable)
                }

                // B adopts once the lease has expired, never before.
                let adoption = try await b.adopt("a1", timeout: .seconds(15))
                let adoptedAt = Self.milliseconds()
                #expect(adoption != nil)
                #expect(adoptedAt >= expiresAt, "B adopted at \(adoptedAt), after the lease's end \(expiresAt)")
                let content = try await b.readFile("a1").content
                #expect(content == "A's version", "B has what A replicated before the cut: \(String(describing: content)), adoption \(String(describing: adoption))")
                await b.stop()
                a.process.signal(SIGKILL)
                _ = await a.process.waitForExit(timeout: .seconds(5))
            }
        }
    }

    @Test func aPlannedMoveKeepsRunsAndFilesAndTheOldHostAcceptsNoWrite() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            try await ObjectStore.with { store in
                let stateB = fixture.directory.path + "/state-b"
                try await Self.registerProvider(state: stateB, fixture: fixture)
                #expect(try await fixture.run(["models", "set", "fake/m1", "--agent", "a2"]).status == 0)
                let a = try await ReplicatedGateway.start(state: fixture.state, hostID: "host-a", endpoint: store.endpoint, prefix: "move")
                let b = try await ReplicatedGateway.start(state: stateB, hostID: "host-b", endpoint: store.endpoint, prefix: "move")
                fixture.fake.enqueue(.text("first answer"))
                #expect(try await a.chat("agent:a2:main", "first", runID: "move-1") == "final")
                let hash = try await a.writeFile("a2", "moving files")
                let history = try await a.history("agent:a2:main")

                let released = try await a.cli(["agents", "release", "a2", "--json"])
                try #require(released.status == 0, "\(released.stderr)")
                let archive = try #require((try released.json() as? [String: Any])?["archive"] as? String)
                #expect(FileManager.default.fileExists(atPath: archive + "/agent/openclaw-agent.sqlite"), "the released files are archived")
                #expect(!FileManager.default.fileExists(atPath: fixture.state + "/agents/a2"))
                do {
                    try await a.writeFile("a2", "A after the release")
                    Issue.record("A accepted a write after the release")
                } catch let error as GatewayError {
                    #expect(error.details["code"] == "AGENT_RELEASED", "\(error)")
                }

                let adopted = try await b.cli(["agents", "adopt", "a2", "--json"])
                try #require(adopted.status == 0, "\(adopted.stderr)")
                #expect((try adopted.json() as? [String: Any])?["source"] as? String == "restored")
                #expect(try await b.readFile("a2").hash == hash)
                #expect(try await b.history("agent:a2:main") == history)
                fixture.fake.enqueue(.text("second answer"))
                #expect(try await b.chat("agent:a2:main", "second", runID: "move-2") == "final")
                do {
                    try await a.writeFile("a2", "A after the move")
                    Issue.record("A accepted a write for an agent B owns")
                } catch let error as GatewayError {
                    #expect(error.details["code"] == "AGENT_ELSEWHERE")
                    #expect(error.details["owner"]?.stringValue == b.url)
                }
                // A request for an agent that exists nowhere is an unknown agent, every time.
                for _ in 0..<2 {
                    do {
                        _ = try await a.readFile("nobody")
                        Issue.record("a request created an agent")
                    } catch let error as GatewayError {
                        #expect(error.code == .invalidRequest && error.message.contains("unknown agent"), "\(error)")
                    }
                }
                // The CLI of a replicating state directory creates no agent beside its gateway.
                let stray = try await a.cli(["vfs", "write", "--agent", "a2", "/x.txt"])
                #expect(stray.status != 0 && stray.stderr.contains("agents adopt"), "\(stray.stderr)")

                // Deleting the agent deletes its replica and its lease.
                #expect(try await store.client().list(prefix: "move/agents/a2/").isEmpty == false)
                let deleted = try await b.cli(["agents", "delete", "a2", "--json"])
                try #require(deleted.status == 0, "\(deleted.stderr)")
                #expect(try await store.client().list(prefix: "move/agents/a2/").isEmpty, "the replica is gone")
                #expect(try await store.client().get("move/leases/a2") == nil, "the lease is gone")
                await a.stop()
                await b.stop()
            }
        }
    }

    @Test func pointInTimeRestoreReturnsTheStateOfAChosenSecond() async throws {
        try await RuntimeFixture.with(.openAICompletions) { fixture in
            try await ObjectStore.with { store in
                let a = try await ReplicatedGateway.start(state: fixture.state, hostID: "host-a", endpoint: store.endpoint, prefix: "pitr")
                #expect(try await a.cli(["agents", "adopt", "p1"]).status == 0)
                let early = try await a.writeFile("p1", "version one")
                try await Task.sleep(for: .seconds(2))
                let chosen = Date()
                try await Task.sleep(for: .seconds(2))
                let late = try await a.writeFile("p1", "version two")
                #expect(early != late)
                try await Task.sleep(for: .seconds(2))

                // Litestream killed under the gateway is started again, and replicates what came meanwhile.
                let first = try #require(a.litestreamPID)
                kill(first, SIGKILL)
                let restartDeadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < restartDeadline, a.litestreamPID == nil || a.litestreamPID == first {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(a.litestreamPID != nil && a.litestreamPID != first, "the gateway restarted its Litestream")
                try await a.writeFile("p1", "version two")
                try await Task.sleep(for: .seconds(2))
                let status = try await a.cli(["replica", "status", "--json"])
                try #require(status.status == 0, "\(status.stderr)")
                let rows = try #require(try status.json() as? [[String: Any]])
                let p1 = try #require(rows.first { $0["agent"] as? String == "p1" })
                #expect(p1["leaseState"] as? String == "held")
                #expect(p1["lagTransactions"] as? Int == 0, "\(p1)")

                let formatter = ISO8601DateFormatter()
                let output = fixture.directory.path + "/p1-then.sqlite"
                let restored = try await a.cli(["replica", "restore", "p1", "--timestamp", formatter.string(from: chosen), "--output", output, "--json"])
                try #require(restored.status == 0, "\(restored.stderr)")
                #expect((try restored.json() as? [String: Any])?["integrity"] as? String == "ok")
                // Served from a state directory of its own, the restored file holds the first version.
                let copy = fixture.directory.path + "/then"
                try FileManager.default.createDirectory(atPath: copy + "/agents/p1/agent", withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: output, toPath: copy + "/agents/p1/agent/openclaw-agent.sqlite")
                let cat = try await RuntimeFixture.run(CLIRunner(state: copy), ["vfs", "cat", "--agent", "p1", "/AGENTS.md"])
                #expect(cat.stdout == "version one", "\(cat.stdout) \(cat.stderr)")
                let latest = fixture.directory.path + "/p1-now.sqlite"
                #expect(try await a.cli(["replica", "restore", "p1", "--output", latest]).status == 0)
                let again = try await a.cli(["replica", "restore", "p1", "--output", latest])
                #expect(again.status == 64, "an existing output is a usage error: \(again.stderr)")
                let bad = try await a.cli(["replica", "restore", "p1", "--timestamp", "yesterday", "--output", output + ".2"])
                #expect(bad.status == 64 && bad.stderr.contains("ISO 8601"))
                await a.stop()
            }
        }
    }
}
