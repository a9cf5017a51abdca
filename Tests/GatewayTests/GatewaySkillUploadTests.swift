import AgentRuntime
import Crypto
import Foundation
@testable import Gateway
import Subprocess
import Testing

/// `skills.upload.*`: a tar archive in offset-exact chunks, SHA-256 checked, idempotent, into the
/// agent's skills namespace; bad input refused and nothing stored.
@Suite struct GatewaySkillUploadTests {
    /// A tar archive (made by the system's tar) of a skill directory `deploy/` with SKILL.md and a script.
    static func archive(in directory: String) async throws -> Data {
        let skill = directory + "/src/deploy"
        try FileManager.default.createDirectory(atPath: skill + "/scripts", withIntermediateDirectories: true)
        try "---\ndescription: Deploys the app\n---\n# Deploy\n".write(toFile: skill + "/SKILL.md", atomically: true, encoding: .utf8)
        try String(repeating: "echo deploy\n", count: 20_000).write(toFile: skill + "/scripts/run.sh", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: skill + "/link", withDestinationPath: "/etc/passwd")
        let output = directory + "/deploy.tar"
        let result = try await Subprocess.run(.name("tar"), arguments: ["-cf", output, "-C", directory + "/src", "deploy"],
                                              output: .discarded, error: .string(limit: 1 << 16))
        try #require(result.terminationStatus.isSuccess, "tar failed: \(result.standardError)")
        return try Data(contentsOf: URL(fileURLWithPath: output))
    }

    @Test func anArchiveInChunksBecomesASkillOnce() async throws {
        try await GatewayFixture.with { fixture in
            let archive = try await Self.archive(in: fixture.directory.path)
            let digest = Array(SHA256.hash(data: archive)).map { String(format: "%02x", $0) }.joined()
            try await fixture.connect { session in
                let begin: JSONValue = ["slug": "deploy", "sizeBytes": .int(archive.count), "sha256": .string(digest), "idempotencyKey": "up-1"]
                let started = try await session.call("skills.upload.begin", params: begin)
                let id = try #require(started["uploadId"]?.stringValue)
                #expect(started["receivedBytes"] == 0)
                #expect(try await session.call("skills.upload.begin", params: begin)["uploadId"]?.stringValue == id, "a repeated key is the same upload")

                let chunk = 100_000
                var offset = 0
                while offset < archive.count {
                    let piece = archive[offset..<min(archive.count, offset + chunk)]
                    let answer = try await session.call("skills.upload.chunk", params: ["uploadId": .string(id), "offset": .int(offset),
                                                                                        "dataBase64": .string(Data(piece).base64EncodedString())])
                    // A chunk sent twice (a retry after a lost answer) is taken once.
                    let again = try await session.call("skills.upload.chunk", params: ["uploadId": .string(id), "offset": .int(offset),
                                                                                       "dataBase64": .string(Data(piece).base64EncodedString())])
                    offset += piece.count
                    #expect(answer["receivedBytes"] == .int(offset))
                    #expect(again["receivedBytes"] == .int(offset))
                }
                let gap = try await session.send("skills.upload.chunk", params: ["uploadId": .string(id), "offset": 5, "dataBase64": "AAAA"])
                #expect(gap.first?["error"]?["message"]?.stringValue?.contains("not the bytes received so far") == true)

                let committed = try await session.call("skills.upload.commit", params: ["uploadId": .string(id)])
                #expect(committed["sha256"] == .string(digest))
                #expect(committed["skill"]?["slug"] == "deploy")
                #expect(committed["skill"]?["description"] == "Deploys the app")
                #expect(committed["skill"]?["fileCount"] == 2)
                #expect((committed["skipped"]?.arrayValue ?? []).count == 1, "the symbolic link is skipped")
                #expect(try await session.call("skills.upload.commit", params: ["uploadId": .string(id)]) == committed, "a repeated commit answers the same")
            }
            let runtime = try await fixture.gateway.host.runtime(for: .main)
            #expect(try runtime.skills.list().map(\.slug) == ["deploy"])
            #expect(try runtime.fileSystem.namespace("skills").readFile("/deploy/SKILL.md").starts(with: Data("---".utf8)))
        }
    }

    @Test func badUploadsAreRefusedAndStoreNothing() async throws {
        try await GatewayFixture.with { fixture in
            let archive = try await Self.archive(in: fixture.directory.path)
            try await fixture.connect { session in
                // A wrong digest is found at the commit.
                let wrong = try await session.call("skills.upload.begin", params: ["slug": "deploy", "sizeBytes": .int(archive.count),
                                                                                   "sha256": .string(String(repeating: "0", count: 64))])
                let id = try #require(wrong["uploadId"]?.stringValue)
                _ = try await session.call("skills.upload.chunk", params: ["uploadId": .string(id), "offset": 0, "dataBase64": .string(archive.base64EncodedString())])
                let refused = try await session.send("skills.upload.commit", params: ["uploadId": .string(id)])
                #expect(refused.first?["error"]?["message"]?.stringValue?.contains("SHA-256") == true)

                // Not a tar archive.
                let junk = Data("this is not a tar archive at all".utf8) + Data(repeating: 7, count: 600)
                let other = try await session.call("skills.upload.begin", params: ["slug": "junk", "sizeBytes": .int(junk.count)])
                let otherID = try #require(other["uploadId"]?.stringValue)
                _ = try await session.call("skills.upload.chunk", params: ["uploadId": .string(otherID), "offset": 0, "dataBase64": .string(junk.base64EncodedString())])
                let bad = try await session.send("skills.upload.commit", params: ["uploadId": .string(otherID)])
                #expect(bad.first?["error"]?["message"]?.stringValue?.contains("invalid archive") == true)

                let incomplete = try await session.call("skills.upload.begin", params: ["slug": "half", "sizeBytes": 100])
                let early = try await session.send("skills.upload.commit", params: ["uploadId": incomplete["uploadId"] ?? .null])
                #expect(early.first?["error"]?["message"]?.stringValue?.contains("has 0 of 100 bytes") == true)
                let past = try await session.send("skills.upload.chunk", params: ["uploadId": incomplete["uploadId"] ?? .null, "offset": 0,
                                                                                  "dataBase64": .string(Data(repeating: 1, count: 101).base64EncodedString())])
                #expect(past.first?["ok"] == false)
                let slug = try await session.send("skills.upload.begin", params: ["slug": "../etc", "sizeBytes": 10])
                #expect(slug.first?["error"]?["message"]?.stringValue?.contains("invalid skill slug") == true)
                let big = try await session.send("skills.upload.begin", params: ["slug": "big", "sizeBytes": .int(1 << 30)])
                #expect(big.first?["ok"] == false)
                let unknown = try await session.send("skills.upload.chunk", params: ["uploadId": "nope", "offset": 0, "dataBase64": "AAAA"])
                #expect(unknown.first?["error"]?["message"]?.stringValue?.contains("no upload") == true)
            }
            // An operator without admin may not upload.
            var writer = GatewayClient.Identity()
            writer.scopes = ["operator.read", "operator.write"]
            let forbidden = try await fixture.connect(identity: writer) { session in
                try await session.send("skills.upload.begin", params: ["slug": "x", "sizeBytes": 10])
            }
            #expect(forbidden.first?["error"]?["code"] == "FORBIDDEN")
            let runtime = try await fixture.gateway.host.runtime(for: .main)
            #expect(try runtime.skills.list().isEmpty)
        }
    }
}
