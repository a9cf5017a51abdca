import AgentRuntime
import Foundation
import StateStore
import VFS

/// The agent's bootstrap files (`agents.files.*`) and the read-only remote form of `openclaw vfs`
/// (`vfs.*`), both through the VFS: the gateway writes no SQL.
extension Gateway {
    /// The files `agents.files.*` serve, at the root of the agent's `workspace` namespace.
    static let bootstrapFiles = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"]
    /// The most bytes one `vfs.read` returns.
    static let maxReadBytes = 4 << 20
    /// The most entries one `vfs.ls` or `vfs.find` returns.
    static let maxListed = 10_000

    private func fileSystem(_ params: Params) async throws -> VirtualFileSystem {
        let agent = try await servedAgent(try params.string("agentId"), method: params.method)
        return try await host.runtime(for: agent).fileSystem
    }

    private func bootstrapName(_ params: Params) throws -> String {
        let name = try params.requiredString("name")
        guard Self.bootstrapFiles.contains(name) else { throw GatewayError(.invalidRequest, "unsupported file \(name.debugDescription)") }
        return name
    }

    private static func fileJSON(_ name: String, _ entry: VFSEntry?, content: String? = nil) -> JSONValue {
        var file: [String: JSONValue] = ["name": .string(name), "path": .string("/" + name), "missing": .bool(entry == nil)]
        if let entry {
            file["size"] = .int64(entry.size)
            file["updatedAtMs"] = .int64(entry.mtimeNanoseconds / 1_000_000)
            if let sha256 = entry.sha256 { file["hash"] = .string(sha256) }
        }
        if let content { file["content"] = .string(content) }
        return .object(file)
    }

    private static func stat(_ namespace: VFSNamespace, _ path: String) throws -> VFSEntry? {
        do { return try namespace.stat(path) } catch let error as VFSError where error.errno == ENOENT { return nil }
    }

    func agentsFilesList(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId"])
        let fileSystem = try await fileSystem(params)
        let agent = try params.string("agentId") ?? "main"
        let files = try await host.offThread {
            let workspace = try fileSystem.namespace(NamespaceName.workspace)
            return try Self.bootstrapFiles.map { name in Self.fileJSON(name, try Self.stat(workspace, "/" + name)) }
        }
        return .payload(["agentId": .string(agent), "workspace": "workspace", "files": .array(files)])
    }

    func agentsFilesGet(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "name"])
        let name = try bootstrapName(params)
        let fileSystem = try await fileSystem(params)
        let agent = try params.string("agentId") ?? "main"
        let file = try await host.offThread {
            let workspace = try fileSystem.namespace(NamespaceName.workspace)
            guard let entry = try Self.stat(workspace, "/" + name) else { return Self.fileJSON(name, nil) }
            let data = try workspace.readFile("/" + name)
            guard let text = String(validating: data, as: UTF8.self) else {
                throw GatewayError(.invalidRequest, "\(name) is not UTF-8 text; read it with vfs.read", details: ["code": "invalid_argument", "errno": "EILSEQ"])
            }
            return Self.fileJSON(name, entry, content: text)
        }
        return .payload(["agentId": .string(agent), "workspace": "workspace", "file": file])
    }

    func agentsFilesSet(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "name", "content", "expectedHash"])
        let name = try bootstrapName(params)
        guard let content = try params.string("content") else { throw params.fail("content is required") }
        let expected = try params.string("expectedHash")
        let fileSystem = try await fileSystem(params)
        let agent = try params.string("agentId") ?? "main"
        let file = try await host.offThread {
            let workspace = try fileSystem.namespace(NamespaceName.workspace)
            // expectedHash: write only over the version the client read (an absent file has none).
            if let expected, try Self.stat(workspace, "/" + name)?.sha256 != expected {
                throw GatewayError(.invalidRequest, "\(name) changed since it was read (expectedHash does not match)", details: ["code": "conflict"])
            }
            let entry = try workspace.writeFile("/" + name, contents: Data(content.utf8))
            return Self.fileJSON(name, entry)
        }
        return .payload(["ok": true, "agentId": .string(agent), "workspace": "workspace", "file": file])
    }

    // MARK: vfs.*

    private func namespace(_ params: Params) async throws -> (VirtualFileSystem, String) {
        let fileSystem = try await fileSystem(params)
        return (fileSystem, try params.string("namespace") ?? NamespaceName.workspace)
    }

    static func entryJSON(_ entry: VFSEntry) -> JSONValue {
        var object: [String: JSONValue] = ["path": .string(entry.path), "name": .string(entry.name), "kind": .string(entry.kind.rawValue),
                                           "size": .int64(entry.size), "mode": .int(Int(entry.mode)), "mtimeMs": .int64(entry.mtimeNanoseconds / 1_000_000)]
        if let sha256 = entry.sha256 { object["sha256"] = .string(sha256) }
        return .object(object)
    }

    func vfsStat(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "namespace", "path"])
        let (fileSystem, name) = try await namespace(params)
        let path = try params.requiredString("path")
        let entry = try await host.offThread { try fileSystem.namespace(name).stat(path) }
        return .payload(["namespace": .string(name), "entry": Self.entryJSON(entry)])
    }

    func vfsList(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "namespace", "path", "limit"])
        let (fileSystem, name) = try await namespace(params)
        let path = try params.string("path") ?? "/"
        let limit = try params.int("limit", in: 1...Self.maxListed) ?? 1000
        let entries = try await host.offThread { try fileSystem.namespace(name).list(path) }
        return .payload(["namespace": .string(name), "path": .string(path), "entries": .array(entries.prefix(limit).map(Self.entryJSON)),
                         "truncated": .bool(entries.count > limit)])
    }

    func vfsRead(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "namespace", "path", "offset", "length"])
        let (fileSystem, name) = try await namespace(params)
        let path = try params.requiredString("path")
        let offset = try params.int("offset", in: 0...Int.max) ?? 0
        let length = try params.int("length", in: 0...Self.maxReadBytes) ?? (1 << 20)
        let (entry, data) = try await host.offThread {
            let namespace = try fileSystem.namespace(name)
            let entry = try namespace.stat(path)
            return (entry, try namespace.read(path, offset: Int64(offset), length: length))
        }
        return .payload([
            "namespace": .string(name), "path": .string(entry.path), "size": .int64(entry.size), "offset": .int(offset), "length": .int(data.count),
            "eof": .bool(Int64(offset + data.count) >= entry.size), "dataBase64": .string(data.base64EncodedString()),
        ])
    }

    func vfsFind(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "namespace", "path", "name", "kind", "limit"])
        let (fileSystem, name) = try await namespace(params)
        let path = try params.string("path") ?? "/"
        let pattern = try params.string("name")
        let kind = try params.string("kind").map { raw in
            guard let kind = VFSEntry.Kind(rawValue: raw) else { throw GatewayError.invalidParams(params.method, "kind must be file or directory") }
            return kind
        }
        let limit = try params.int("limit", in: 1...Self.maxListed) ?? 1000
        let (found, truncated) = try await host.offThread {
            var found: [VFSEntry] = []
            var truncated = false
            try fileSystem.namespace(name).walk(path) { entry in
                guard !truncated else { return }
                if let kind, entry.kind != kind { return }
                if let pattern, fnmatch(pattern, entry.name, 0) != 0 { return }
                if found.count == limit { truncated = true } else { found.append(entry) }
            }
            return (found, truncated)
        }
        return .payload(["namespace": .string(name), "path": .string(path), "entries": .array(found.map(Self.entryJSON)), "truncated": .bool(truncated)])
    }

    func vfsDiskUsage(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId", "namespace", "path"])
        let (fileSystem, name) = try await namespace(params)
        let path = try params.string("path") ?? "/"
        let usage = try await host.offThread { try fileSystem.namespace(name).diskUsage(path) }
        return .payload(["namespace": .string(name), "path": .string(usage.path), "bytes": .int64(usage.bytes), "files": .int64(usage.files),
                         "directories": .int64(usage.directories)])
    }
}
