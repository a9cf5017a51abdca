import AgentRuntime

/// A method's answer: one response, or (the `agent` method) an acceptance at once and a second
/// response with the same id when the run ends.
enum MethodReply: Sendable {
    case payload(JSONValue)
    case twoPhase(JSONValue, @Sendable () async -> Result<JSONValue, GatewayError>)
}

/// The methods served, the scope each needs, and the events sent.
enum GatewayMethods {
    typealias Handler = @Sendable (Gateway, GatewayConnection, Params) async throws -> MethodReply

    struct Method: Sendable {
        var scope: String
        var handler: Handler
    }

    static let table: [String: Method] = [
        "health": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.health(params) },
        "status": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.status(params) },
        "system-presence": Method(scope: GatewayScope.read) { gateway, _, params in
            try params.only([])
            return .payload(gateway.presence())
        },
        "models.list": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.modelsList(params) },
        "agents.adopt": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.agentsAdopt(params) },
        "agents.release": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.agentsRelease(params) },
        "agents.delete": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.agentsDelete(params) },
        "agents.where": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.agentsWhere(params) },
        "agents.list": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.agentsList(params) },
        "sessions.list": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.sessionsList(params) },
        "sessions.preview": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.sessionsPreview(params) },
        "sessions.resolve": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.sessionsResolve(params) },
        "sessions.get": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.sessionsGet(params) },
        "sessions.reset": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.sessionsReset(params) },
        "sessions.patch": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.sessionsPatch(params) },
        "sessions.delete": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.sessionsDelete(params) },
        "chat.send": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.chatSend(params) },
        "chat.history": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.chatHistory(params) },
        "chat.abort": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.chatAbort(params) },
        "agent": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.agent(params) },
        "agent.wait": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.agentWait(params) },
        "agents.files.list": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.agentsFilesList(params) },
        "agents.files.get": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.agentsFilesGet(params) },
        "agents.files.set": Method(scope: GatewayScope.write) { gateway, _, params in try await gateway.agentsFilesSet(params) },
        "skills.upload.begin": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.skillsUploadBegin(params) },
        "skills.upload.chunk": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.skillsUploadChunk(params) },
        "skills.upload.commit": Method(scope: GatewayScope.admin) { gateway, _, params in try await gateway.skillsUploadCommit(params) },
        "vfs.stat": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.vfsStat(params) },
        "vfs.ls": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.vfsList(params) },
        "vfs.read": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.vfsRead(params) },
        "vfs.find": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.vfsFind(params) },
        "vfs.du": Method(scope: GatewayScope.read) { gateway, _, params in try await gateway.vfsDiskUsage(params) },
    ]

    /// `hello-ok.features.methods`: what this server serves, sorted.
    static let served: [String] = table.keys.sorted()

    /// `hello-ok.features.events`.
    static let events = ["agent", "chat", "connect.challenge", "sessions.changed", "shutdown", "tick"]
}
