import AgentRuntime
import Foundation

/// `skills.upload.begin/chunk/commit`: a skill archive (tar) in offset-exact chunks, checked
/// against its SHA-256 and installed into the agent's `skills` namespace at the commit.
extension Gateway {
    private static func uploadJSON(_ upload: SkillUploads.Upload) -> [String: JSONValue] {
        ["uploadId": .string(upload.id), "receivedBytes": .int(upload.data.count), "expiresAt": .int64(upload.expiresAt)]
    }

    func skillsUploadBegin(_ params: Params) async throws -> MethodReply {
        try params.only(["kind", "slug", "sizeBytes", "sha256", "force", "idempotencyKey", "agentId"])
        guard try params.string("kind") ?? "skill-archive" == "skill-archive" else { throw params.fail("kind must be \"skill-archive\"") }
        let slug = try params.requiredString("slug")
        do { try SkillStore.validateSlug(slug) } catch { throw GatewayError.invalidParams(params.method, AgentRuntimeError.wrap(error).message) }
        guard let size = try params.int("sizeBytes", in: 1...SkillUploads.maxArchiveBytes) else { throw params.fail("sizeBytes is required") }
        let sha256 = try params.string("sha256")
        if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) { throw params.fail("sha256 must be 64 hex digits") }
        let agent = try await servedAgent(try params.string("agentId"), method: params.method)
        let upload = try uploads.begin(agent: agent, slug: slug, size: size, sha256: sha256, force: try params.bool("force") ?? false,
                                       idempotencyKey: try params.string("idempotencyKey"))
        return .payload(.object(Self.uploadJSON(upload)))
    }

    func skillsUploadChunk(_ params: Params) async throws -> MethodReply {
        try params.only(["uploadId", "offset", "dataBase64"])
        let id = try params.requiredString("uploadId")
        guard let offset = try params.int("offset", in: 0...SkillUploads.maxArchiveBytes) else { throw params.fail("offset is required") }
        let encoded = try params.requiredString("dataBase64")
        guard encoded.utf8.count <= (SkillUploads.maxChunkBytes / 3 + 1) * 4, let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
            throw params.fail("dataBase64 must be base64 of 1 byte to \(SkillUploads.maxChunkBytes) bytes")
        }
        return .payload(.object(Self.uploadJSON(try uploads.chunk(id, offset: offset, bytes: bytes))))
    }

    func skillsUploadCommit(_ params: Params) async throws -> MethodReply {
        try params.only(["uploadId", "sha256"])
        let id = try params.requiredString("uploadId")
        let (upload, digest) = try uploads.completed(id, sha256: try params.string("sha256"))
        if let answer = upload.committed { return .payload(answer) }
        let runtime = try await host.runtime(for: upload.agent)
        let (skill, skipped) = try await host.offThread { try runtime.skills.upload(archive: upload.data, slug: upload.slug, force: upload.force) }
        var answer = Self.uploadJSON(upload)
        answer["receivedBytes"] = .int(upload.size)
        answer["sha256"] = .string(digest)
        let installed: JSONValue = ["slug": .string(skill.slug), "sha256": .string(skill.sha256), "description": .string(skill.description),
                                    "fileCount": .int(skill.fileCount), "sizeBytes": .int64(skill.sizeBytes)]
        answer["skill"] = installed
        answer["skipped"] = .array(skipped.map { .string($0) })
        uploads.committed(id, answer: .object(answer))
        return .payload(.object(answer))
    }
}
