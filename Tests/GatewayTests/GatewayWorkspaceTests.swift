import AgentRuntime
import FakeProvider
import Foundation
@testable import Gateway
import Testing

/// The agent's bootstrap files, the read-only `vfs.*` methods, and `sessions.patch`.
@Suite struct GatewayWorkspaceTests {
    @Test func bootstrapFilesAreListedReadAndWrittenThroughTheVFS() async throws {
        try await GatewayFixture.with { fixture in
            try await fixture.connect { session in
                let listed = try await session.call("agents.files.list", params: ["agentId": "main"])
                let names = (listed["files"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                #expect(names == Gateway.bootstrapFiles)
                #expect((listed["files"]?.arrayValue ?? []).allSatisfy { $0["missing"] == true })
                #expect(try await session.call("agents.files.get", params: ["name": "SOUL.md"])["file"]?["missing"] == true, "a missing file is a success")

                let set = try await session.call("agents.files.set", params: ["agentId": "main", "name": "SOUL.md", "content": "Be kind.\n"])
                #expect(set["ok"] == true)
                let hash = try #require(set["file"]?["hash"]?.stringValue)
                let got = try await session.call("agents.files.get", params: ["name": "SOUL.md"])
                #expect(got["file"]?["content"] == "Be kind.\n")
                #expect(got["file"]?["size"] == 9)

                let stale = try await session.send("agents.files.set", params: ["name": "SOUL.md", "content": "x", "expectedHash": "0000"])
                #expect(stale.first?["error"]?["details"]?["code"] == "conflict")
                _ = try await session.call("agents.files.set", params: ["name": "SOUL.md", "content": "Be brief.\n", "expectedHash": .string(hash)])
                let other = try await session.send("agents.files.get", params: ["name": "secrets.txt"])
                #expect(other.first?["error"]?["message"] == "unsupported file \"secrets.txt\"")
                let agent = try await session.send("agents.files.list", params: ["agentId": "ghost"])
                #expect(agent.first?["error"]?["message"] == "unknown agent id \"ghost\"")
            }
            // The write went to the workspace namespace, where the agent's tools see it.
            let runtime = try await fixture.gateway.host.runtime(for: .main)
            #expect(try runtime.fileSystem.namespace("workspace").readFile("/SOUL.md") == Data("Be brief.\n".utf8))
        }
    }

    @Test func theVFSIsReadableRemotelyWithItsErrno() async throws {
        try await GatewayFixture.with { fixture in
            let runtime = try await fixture.gateway.host.runtime(for: .main)
            let workspace = try runtime.fileSystem.namespace("workspace")
            let big = Data((0..<100_000).map { UInt8($0 % 251) })
            _ = try workspace.makeDirectory("/src/lib", intermediates: true)
            _ = try workspace.writeFile("/src/lib/a.swift", contents: Data("let a = 1\n".utf8))
            _ = try workspace.writeFile("/src/b.swift", contents: Data("let b = 2\n".utf8))
            _ = try workspace.writeFile("/data.bin", contents: big)
            try await fixture.connect { session in
                let listing = try await session.call("vfs.ls", params: ["path": "/"])
                #expect((listing["entries"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } == ["data.bin", "src"])
                let stat = try await session.call("vfs.stat", params: ["path": "/data.bin"])
                #expect(stat["entry"]?["size"] == 100_000)
                #expect(stat["entry"]?["kind"] == "file")

                var assembled = Data()
                var offset = 0
                while true {
                    let chunk = try await session.call("vfs.read", params: ["path": "/data.bin", "offset": .int(offset), "length": 40_000])
                    let data = try #require(Data(base64Encoded: chunk["dataBase64"]?.stringValue ?? ""))
                    assembled += data
                    offset += data.count
                    if chunk["eof"] == true { break }
                }
                #expect(assembled == big, "offset reads reassemble the file")
                let tooLong = try await session.send("vfs.read", params: ["path": "/data.bin", "length": 5_000_000])
                #expect(tooLong.first?["error"]?["code"] == "INVALID_REQUEST")

                let found = try await session.call("vfs.find", params: ["name": "*.swift"])
                #expect((found["entries"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }.sorted() == ["/src/b.swift", "/src/lib/a.swift"])
                let du = try await session.call("vfs.du", params: ["path": "/src"])
                #expect(du["files"] == 2)
                #expect(du["bytes"] == 20)

                let missing = try await session.send("vfs.stat", params: ["path": "/nope"])
                #expect(missing.first?["error"]?["details"]?["errno"] == "ENOENT")
                let escape = try await session.send("vfs.read", params: ["path": "/../../etc/passwd"])
                #expect(escape.first?["ok"] == false)
                let directory = try await session.send("vfs.read", params: ["path": "/src"])
                #expect(directory.first?["error"]?["details"]?["errno"] == "EISDIR")
                let badNamespace = try await session.send("vfs.ls", params: ["namespace": "nowhere"])
                #expect(badNamespace.first?["error"]?["details"]?["errno"] == "ENOENT")
            }
            // Read-only: there is no vfs method that writes.
            #expect(!GatewayMethods.served.contains { $0.hasPrefix("vfs.") && !["vfs.ls", "vfs.stat", "vfs.read", "vfs.find", "vfs.du"].contains($0) })
        }
    }

    @Test func sessionsPatchSetsALabelAndAModelAndNullClears() async throws {
        try await GatewayFixture.with { fixture in
            let runtime = try await fixture.gateway.host.runtime(for: .main)
            try runtime.catalog.setProvider(try ModelProviderConfiguration(
                id: "fake", api: .openAICompletions, baseURL: fixture.fake.baseURL + "/v1", timeoutMilliseconds: 60_000, maxRetries: 0,
                models: [try ModelDescriptor(id: "m1", contextWindow: 8192, maxTokens: 512), try ModelDescriptor(id: "m2", contextWindow: 8192, maxTokens: 512)]))
            try await fixture.connect { session in
                let patched = try await session.call("sessions.patch", params: ["key": "agent:main:work", "label": "Work", "model": "fake/m2"])
                #expect(patched["entry"]?["label"] == "Work")
                #expect(patched["resolved"] == ["modelProvider": "fake", "model": "m2"])
                #expect(try await session.call("sessions.resolve", params: ["label": "Work"])["key"] == "agent:main:work")

                fixture.fake.enqueue(.text("from m2"))
                async let ended = collectEvents(session, until: GatewayRunTests.isFinal("p-1"))
                _ = try await session.call("chat.send", params: ["sessionKey": "agent:main:work", "message": "hi", "idempotencyKey": "p-1"])
                _ = try await ended
                #expect(fixture.fake.requests.last?.json["model"] as? String == "m2", "the session's model is used")

                let cleared = try await session.call("sessions.patch", params: ["key": "agent:main:work", "model": .null])
                #expect(cleared["entry"]?["modelOverride"] == nil)
                #expect(cleared["entry"]?["label"] == "Work", "an absent field is kept")
                fixture.fake.enqueue(.text("from m1"))
                async let again = collectEvents(session, until: GatewayRunTests.isFinal("p-2"))
                _ = try await session.call("chat.send", params: ["sessionKey": "agent:main:work", "message": "hi", "idempotencyKey": "p-2"])
                _ = try await again
                #expect(fixture.fake.requests.last?.json["model"] as? String == "m1", "cleared: the agent's default again")

                let unknown = try await session.send("sessions.patch", params: ["key": "agent:main:work", "model": "fake/nope"])
                #expect(unknown.first?["ok"] == false)
                let wrongType = try await session.send("sessions.patch", params: ["key": "agent:main:work", "label": 5])
                #expect(wrongType.first?["error"]?["message"]?.stringValue?.contains("label must be a string or null") == true)
                let extra = try await session.send("sessions.patch", params: ["key": "agent:main:work", "thinkingLevel": "high"])
                #expect(extra.first?["error"]?["message"]?.stringValue?.contains("unknown property") == true, "a closed schema")
            }
        }
    }
}
