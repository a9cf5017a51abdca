import AgentRuntime
import Crypto
import Foundation
import StateStore
import Storage
import Synchronization

/// Skill archives being uploaded in chunks (`skills.upload.begin/chunk/commit`), held in memory
/// until their commit: an upload abandoned past its expiry, or cut by a restart, leaves nothing.
final class SkillUploads: Sendable {
    struct Upload: Sendable {
        var id: String
        var agent: AgentID
        var slug: String
        var size: Int
        var sha256: String?
        var force: Bool
        var data = Data()
        var expiresAt: Int64
        /// The commit's answer, once committed (a repeated commit gets it again).
        var committed: JSONValue?
    }

    /// The largest archive.
    static let maxArchiveBytes = 64 << 20
    /// The most bytes staged by all uploads at once.
    static let maxStagedBytes = 256 << 20
    /// The largest chunk, decoded.
    static let maxChunkBytes = 4 << 20
    static let lifetime: Int64 = 3_600_000

    private struct State {
        var uploads: [String: Upload] = [:]
        var byIdempotencyKey: [String: String] = [:]
    }

    private let state = Mutex(State())

    /// Starts an upload, or answers the one `idempotencyKey` started.
    func begin(agent: AgentID, slug: String, size: Int, sha256: String?, force: Bool, idempotencyKey: String?) throws(GatewayError) -> Upload {
        let now = RuntimeClock.milliseconds()
        return try state.withLock { (state: inout State) throws(GatewayError) -> Upload in
            Self.expire(&state, now: now)
            if let key = idempotencyKey, let id = state.byIdempotencyKey[key], let existing = state.uploads[id] { return existing }
            let staged = state.uploads.values.reduce(0) { $0 + ($1.committed == nil ? $1.size : 0) }
            guard staged + size <= Self.maxStagedBytes else {
                throw GatewayError(.unavailable, "too many uploads in progress; retry shortly", retryable: true, retryAfterMilliseconds: 5000)
            }
            let upload = Upload(id: RuntimeClock.uuid(), agent: agent, slug: slug, size: size, sha256: sha256, force: force, expiresAt: now + Self.lifetime)
            state.uploads[upload.id] = upload
            if let key = idempotencyKey { state.byIdempotencyKey[key] = upload.id }
            return upload
        }
    }

    /// Appends `bytes` at `offset`, which must be the bytes received so far; a repeat of the last
    /// chunk (same offset and bytes) is answered again without appending.
    func chunk(_ id: String, offset: Int, bytes: Data) throws(GatewayError) -> Upload {
        let now = RuntimeClock.milliseconds()
        return try state.withLock { (state: inout State) throws(GatewayError) -> Upload in
            Self.expire(&state, now: now)
            guard var upload = state.uploads[id] else { throw Self.unknown(id) }
            guard upload.committed == nil else { throw GatewayError(.invalidRequest, "upload \(id) is committed") }
            let received = upload.data.count
            if offset < received, offset + bytes.count == received, upload.data.suffix(bytes.count) == bytes { return upload }
            guard offset == received else {
                throw GatewayError(.invalidRequest, "chunk offset \(offset) is not the bytes received so far (\(received))", details: ["receivedBytes": .int(received)])
            }
            guard received + bytes.count <= upload.size else {
                throw GatewayError(.invalidRequest, "the chunk passes the announced size (\(upload.size) bytes)")
            }
            upload.data.append(bytes)
            upload.expiresAt = now + Self.lifetime
            state.uploads[id] = upload
            return upload
        }
    }

    /// The upload to commit: complete, its SHA-256 matching.
    func completed(_ id: String, sha256: String?) throws(GatewayError) -> (upload: Upload, digest: String) {
        let now = RuntimeClock.milliseconds()
        return try state.withLock { (state: inout State) throws(GatewayError) -> (upload: Upload, digest: String) in
            Self.expire(&state, now: now)
            guard let upload = state.uploads[id] else { throw Self.unknown(id) }
            if let answer = upload.committed { return (upload, answer["sha256"]?.stringValue ?? "") }
            guard upload.data.count == upload.size else {
                throw GatewayError(.invalidRequest, "upload \(id) has \(upload.data.count) of \(upload.size) bytes", details: ["receivedBytes": .int(upload.data.count)])
            }
            let digest = Array(SHA256.hash(data: upload.data)).lowercaseHex
            for expected in [upload.sha256, sha256].compactMap({ $0?.lowercased() }) where expected != digest {
                throw GatewayError(.invalidRequest, "the archive's SHA-256 is \(digest), not \(expected)", details: ["sha256": .string(digest)])
            }
            return (upload, digest)
        }
    }

    /// Records the commit's answer and drops the staged bytes.
    func committed(_ id: String, answer: JSONValue) {
        state.withLock { state in
            state.uploads[id]?.committed = answer
            state.uploads[id]?.data = Data()
        }
    }

    private static func unknown(_ id: String) -> GatewayError {
        GatewayError(.invalidRequest, "no upload \(id.debugDescription) (unknown, or expired after an hour without a chunk)")
    }

    private static func expire(_ state: inout State, now: Int64) {
        let expired = state.uploads.values.filter { $0.expiresAt < now }.map(\.id)
        for id in expired { state.uploads[id] = nil }
        if !expired.isEmpty { state.byIdempotencyKey = state.byIdempotencyKey.filter { state.uploads[$0.value] != nil } }
    }
}
