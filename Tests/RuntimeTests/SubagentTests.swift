import Crypto
import FakeProvider
import Foundation
import GRDB
import Testing
import VFS
@testable import AgentRuntime

@Suite struct SubagentTests {
    @Test func aSubagentGetsItsAttachmentsAndReturnsItsAnswer() async throws {
        try await RuntimeFixture.with { fixture in
            let secretText = "quarterly numbers: 1, 2, 3"
            let binary = Data([0, 1, 2, 255])
            fixture.fake.enqueue(
                // Parent: spawn.
                .toolCalls([fakeCall("s1", "sessions_spawn", [
                    "task": "summarize the attachment", "label": "summary",
                    "attachments": [
                        ["name": "report.txt", "content": .string(secretText)],
                        ["name": "blob.bin", "content": .string(binary.base64EncodedString()), "encoding": "base64", "mimeType": "application/octet-stream"],
                    ],
                ])], text: nil),
                // Child: looks for its attachments, writes a file, answers.
                .toolCalls([fakeCall("k1", "find", ["pattern": "*.txt"]), fakeCall("k2", "write", ["path": "summary.md", "content": "numbers"])], text: nil),
                .text("The report lists three numbers."),
                // Parent: final answer.
                .text("Subagent says: three numbers.")
            )
            let result = try await fixture.runtime.run(AgentRunRequest(message: "delegate")).result()
            #expect(result.text == "Subagent says: three numbers.")

            let runs = try fixture.runtime.subagentRuns()
            let run = try #require(runs.first)
            #expect(runs.count == 1)
            #expect(run.status == "completed")
            #expect(run.attachmentCount == 2)
            #expect(run.attachmentBytes == secretText.utf8.count + 4)
            #expect(run.childSessionKey.hasPrefix("agent:main:subagent:"))
            #expect(run.namespace == "run:\(run.runID)")

            // The child's namespace: attachments, manifest, the child's own file; the parent's workspace untouched.
            let child = try fixture.runtime.fileSystem.namespace(run.namespace)
            let directory = try #require(try child.list("/.openclaw/attachments").first).path
            #expect(String(decoding: try child.readFile(directory + "/report.txt"), as: UTF8.self) == secretText)
            #expect(try child.readFile(directory + "/blob.bin") == binary)
            let manifest = try JSONValue.parse(try child.readFile(directory + "/.manifest.json"))
            #expect(manifest["count"] == 2)
            #expect(manifest["totalBytes"] == .int(secretText.utf8.count + 4))
            let digest = SHA256.hash(data: binary).map { String(format: "%02x", $0) }.joined()
            #expect(manifest["files"]?.arrayValue?.contains { $0["name"] == "blob.bin" && $0["sha256"] == .string(digest) } == true)
            let metadata = try JSONValue.parse(try child.stat(directory + "/blob.bin").metadataJSON)
            #expect(metadata["source"] == "subagent-attachment")
            #expect(metadata["mimeType"] == "application/octet-stream")
            #expect(try child.exists("/summary.md"))
            #expect(try !fixture.runtime.fileSystem.namespace("workspace").exists("/summary.md"))

            // The child was told its attachments are untrusted, and found them.
            let childRequest = fixture.fake.requests[1]
            let childSystem = try #require(sentMessages(childRequest).first?["content"]?.stringValue)
            #expect(childSystem.contains("untrusted input"))
            #expect(childSystem.contains(String(directory.dropFirst())))
            #expect(!String(decoding: childRequest.body, as: UTF8.self).contains("sessions_spawn"), "a subagent cannot spawn")
            #expect(String(decoding: fixture.fake.requests[2].body, as: UTF8.self).contains("report.txt"))

            // The parent's model got the child's answer; the parent's transcript has no attachment content.
            #expect(String(decoding: fixture.fake.requests[3].body, as: UTF8.self).contains("The report lists three numbers."))
            let parentDump = try fixture.mainEvents().map(\.json.jsonText).joined()
            #expect(!parentDump.contains(secretText))
            #expect(!parentDump.contains(binary.base64EncodedString()))
            #expect(parentDump.contains("[redacted:"))
            let childSession = try #require(try fixture.runtime.sessions.session(try SessionKey(run.childSessionKey)))
            #expect(childSession.frontier.eventCount >= 6)
        }
    }

    @Test func badAttachmentsAreRefusedAndNothingIsCreated() async throws {
        try await RuntimeFixture.with(configuration: {
            var configuration = RuntimeConfiguration()
            configuration.attachmentLimits = AttachmentLimits(maxFiles: 2, maxFileBytes: 16, maxTotalBytes: 24)
            return configuration
        }()) { fixture in
            let cases: [(JSONValue, String)] = [
                ([["name": "../x", "content": "a"]], "invalid attachment name"),
                ([["name": "..", "content": "a"]], "invalid attachment name"),
                ([["name": ".manifest.json", "content": "a"]], "invalid attachment name"),
                ([["name": "a\u{1}b", "content": "a"]], "invalid attachment name"),
                ([["name": "a", "content": "x"], ["name": "a", "content": "y"]], "used twice"),
                ([["name": "a", "content": "x"], ["name": "b", "content": "y"], ["name": "c", "content": "z"]], "too many"),
                ([["name": "a", "content": .string(String(repeating: "x", count: 17))]], "larger than 16"),
                ([["name": "a", "content": .string(String(repeating: "x", count: 16))], ["name": "b", "content": .string(String(repeating: "y", count: 16))]], "in all"),
                ([["name": "a", "content": "abc$", "encoding": "base64"]], "not valid base64"),
                ([["name": "a", "content": "abc", "encoding": "base64"]], "not valid base64"),
                ([["name": "a", "content": .string(String(repeating: "QUFB", count: 10)), "encoding": "base64"]], "larger than 16"),
                ([["name": "a", "content": "x", "encoding": "utf16"]], "encoding must be"),
            ]
            for (attachments, _) in cases {
                fixture.fake.enqueue(.toolCalls([fakeCall("s", "sessions_spawn", ["task": "t", "attachments": attachments])], text: nil), .text("ok"))
            }
            for _ in cases { _ = try await fixture.runtime.run(AgentRunRequest(message: "spawn")).result() }
            let results = try fixture.mainEvents().filter { $0.json["message"]?["toolName"] == "sessions_spawn" }
            #expect(results.count == cases.count)
            for (result, (_, expected)) in zip(results, cases) {
                let text = result.json["message"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
                #expect(result.json["message"]?["isError"] == true)
                #expect(text.contains(expected), "\(text) should mention \(expected)")
            }
            #expect(try fixture.runtime.subagentRuns().isEmpty)
            #expect(try fixture.runtime.fileSystem.namespaces().allSatisfy { !$0.name.hasPrefix("run:") })
        }
    }

    @Test func strictBase64AcceptsWhitespaceAndPadding() throws {
        #expect(try SubagentAttachments.decodeBase64("QUJD\nREVG Rw==", name: "a", maxBytes: 10) == Data("ABCDEFG".utf8))
        #expect(throws: AgentRuntimeError.self) { try SubagentAttachments.decodeBase64("QU=JD", name: "a", maxBytes: 10) }
        #expect(throws: AgentRuntimeError.self) { try SubagentAttachments.decodeBase64("Q===", name: "a", maxBytes: 10) }
    }
}

@Suite struct SkillTests {
    func skillDirectory(_ files: [String: String]) throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        for (path, content) in files { try directory.write(path, content) }
        return directory
    }

    @Test func anUploadIsAtomicDigestedAndReadOnlyToTheAgent() async throws {
        try await RuntimeFixture.with { fixture in
            let source = try skillDirectory(["SKILL.md": "---\nname: pdf\ndescription: \"Fill PDF forms\"\n---\n# PDF\nSteps...", "scripts/fill.txt": "step 1"])
            let (skill, skipped) = try fixture.runtime.skills.upload(directory: source.path, slug: "pdf")
            #expect(skipped.isEmpty)
            #expect(skill.description == "Fill PDF forms")
            #expect(skill.fileCount == 2)
            #expect(skill.sha256.count == 64)
            #expect(throws: AgentRuntimeError.self) { try fixture.runtime.skills.upload(directory: source.path, slug: "pdf") }
            let again = try fixture.runtime.skills.upload(directory: source.path, slug: "pdf", force: true).skill
            #expect(again.sha256 == skill.sha256, "the digest depends only on the content")
            try source.write("scripts/fill.txt", "step 2")
            #expect(try fixture.runtime.skills.upload(directory: source.path, slug: "pdf", force: true).skill.sha256 != skill.sha256)

            // A failed upload leaves the previous version: a file over the VFS size limit aborts it all.
            let skillsNamespace = try fixture.runtime.fileSystem.namespace("skills")
            _ = try fixture.runtime.fileSystem.setQuota("skills", NamespaceQuota(maxFileBytes: 1024))
            try source.write("big.bin", String(repeating: "x", count: 4096))
            #expect(throws: AgentRuntimeError.self) { try fixture.runtime.skills.upload(directory: source.path, slug: "pdf", force: true) }
            #expect(String(decoding: try skillsNamespace.readFile("/pdf/scripts/fill.txt"), as: UTF8.self) == "step 2")
            #expect(try !skillsNamespace.exists("/pdf/big.bin"))
            #expect(throws: AgentRuntimeError.self) { try fixture.runtime.skills.upload(directory: source.path, slug: "other", force: true) }
            #expect(try !skillsNamespace.exists("/other"))
            #expect(try fixture.runtime.skills.list().map(\.slug) == ["pdf"])

            // Missing SKILL.md, bad slug.
            let empty = try skillDirectory(["README.md": "x"])
            #expect(throws: AgentRuntimeError.self) { try fixture.runtime.skills.upload(directory: empty.path, slug: "empty") }
            #expect(throws: AgentRuntimeError.self) { try fixture.runtime.skills.upload(directory: source.path, slug: "Bad Slug") }

            // The agent sees the skill in its prompt, reads it, cannot write it.
            fixture.fake.enqueue(.toolCalls([fakeCall("r", "read", ["path": "/.openclaw/skills/pdf/SKILL.md"]),
                                             fakeCall("w", "write", ["path": "/.openclaw/skills/pdf/SKILL.md", "content": "hacked"]),
                                             fakeCall("l", "ls", ["path": "/.openclaw/skills"])], text: nil), .text("ok"))
            _ = try await fixture.runtime.run(AgentRunRequest(message: "use the pdf skill")).result()
            let first = try sentMessages(try #require(fixture.fake.requests.first))
            #expect(first.first?["content"]?.stringValue?.contains("- pdf: Fill PDF forms") == true)
            let body = String(decoding: try #require(fixture.fake.requests.last).body, as: UTF8.self)
            #expect(body.contains("Steps..."))
            #expect(body.contains("Read-only file system (EROFS)"))
            #expect(body.contains("pdf/"))
            #expect(String(decoding: try skillsNamespace.readFile("/pdf/SKILL.md"), as: UTF8.self).hasPrefix("---"))
            try fixture.runtime.skills.remove("pdf")
            #expect(try !skillsNamespace.exists("/pdf"))
        }
    }
}
