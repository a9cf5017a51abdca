import Foundation
import VFS

extension AgentRuntime {
    /// The largest user message accepted.
    public static let maxMessageBytes = 1 << 20

    /// Runs one user message: model turns with tools over the agent's VFS until the model answers
    /// without calling a tool, the turn limit is reached, the task is cancelled (abort) or the
    /// provider fails. Every step is written to the transcript as it happens; a failure or an
    /// abort ends with a `run_end` event that says why.
    public func run(_ request: AgentRunRequest, onEvent: @escaping @Sendable (AgentRunEvent) -> Void = { _ in }) async throws -> AgentRunResult {
        let key = request.sessionKey ?? .main(agent)
        guard key.agent == agent else {
            throw AgentRuntimeError(.invalidArgument, "session key \(key) belongs to agent '\(key.agent)', not '\(agent)'")
        }
        guard !request.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw AgentRuntimeError(.invalidArgument, "the message is empty")
        }
        guard request.message.utf8.count <= Self.maxMessageBytes else {
            throw AgentRuntimeError(.invalidArgument, "the message is larger than \(Self.maxMessageBytes) bytes")
        }
        let maxTurns = request.maxTurns ?? configuration.maxTurns
        guard (1...1000).contains(maxTurns) else { throw AgentRuntimeError(.invalidArgument, "the turn limit must be between 1 and 1000") }
        let context = RunContext(key: key, namespace: NamespaceName.workspace, depth: 0, attachmentNote: nil,
                                 model: request.model, maxTurns: maxTurns, stream: request.stream, idempotencyKey: request.idempotencyKey)
        return try await runLoop(context, message: request.message, onEvent: onEvent)
    }

    struct RunContext: Sendable {
        var key: SessionKey
        var namespace: String
        var depth: Int
        var attachmentNote: String?
        var model: ModelReference?
        var maxTurns: Int
        var stream: Bool
        var idempotencyKey: String?
        var runID = RuntimeClock.uuid()
        /// Credentials already resolved by the parent run (a subagent reuses them).
        var credentials: [Credential]?
        /// The secrets the parent run redacts (a subagent reuses them).
        var secrets: [String]?
    }

    func runLoop(_ context: RunContext, message: String, onEvent: @escaping @Sendable (AgentRunEvent) -> Void) async throws -> AgentRunResult {
        let (reference, provider, model) = try resolveModel(context.model)
        let session = try sessions.openSession(context.key)
        let sessionID = session.sessionID
        let history = Self.history(from: try sessions.events(sessionID, types: ["message"]))
        // Credentials and the secrets to redact are resolved once per run (profiles read once); a
        // subagent inherits its parent's.
        var context = context
        if context.credentials == nil || context.secrets == nil {
            let profiles = try authProfiles.profiles()
            let credentials = CredentialResolver(environment: environment)
                .candidates(provider: provider.id, model: model.id, profiles: profiles, state: try authProfiles.state()).usable
            context.credentials = credentials
            context.secrets = knownSecrets(credentials, profiles: profiles)
        }
        let credentials = context.credentials ?? []
        let secrets = context.secrets ?? []
        // Nothing is written for a run that cannot start: no user message to replay later.
        guard !credentials.isEmpty else { throw ModelInvoker.missingCredentials(provider) }
        // Every event is stored with every known secret and secret-shaped tokens redacted (the
        // model still sees what it was sent).
        @discardableResult
        func record(_ draft: TranscriptEventDraft) throws -> AppendedEvent {
            var draft = draft
            draft.fields = draft.fields.mapValues { Redaction.redact($0, secrets: secrets) }
            return try sessions.append(sessionID, draft)
        }
        let user = try record(.userMessage(message, idempotencyKey: context.idempotencyKey))
        if user.deduplicated {
            // A repeated request: refused if that message was answered; run again (without a
            // second copy of the message) if its run failed, was aborted or was killed.
            // The runs of that message end before the next user message; the last one counts.
            var end: TranscriptEvent?
            for event in try sessions.events(sessionID, after: user.seq, types: ["message", "run_end"]) {
                if event.type == "message", event.json["message"]?["role"] == "user" { break }
                if event.type == "run_end" { end = event }
            }
            if end == nil || end?.json["status"] == "completed" {
                let state = end == nil ? "is still running or was interrupted before it started" : "was answered"
                throw AgentRuntimeError(.alreadyExists, "the message with idempotency key \(context.idempotencyKey ?? "") (event \(user.seq)) \(state); not running it again")
            }
        }
        let runID = context.runID
        let canSpawn = context.depth < configuration.maxSpawnDepth
        let tools = WorkspaceTools(fileSystem: fileSystem, namespace: context.namespace)
        let system = SystemPrompt.build(agent: agent.value, sessionKey: context.key, skills: (try? skills.list()) ?? [],
                                        canSpawn: canSpawn, attachmentNote: context.attachmentNote)
        let definitions = WorkspaceTools.definitions + (canSpawn ? [SubagentSpawner.definition] : [])
        let maxTokens = model.maxTokens ?? configuration.defaultMaxTokens
        // On a rerun the message is already in the history, where it was first written.
        let conversation = user.deduplicated ? history : history + [.user(message)]
        // The oldest exchanges go when the history would not fit the model's context window.
        let fitted = HistoryBudget.fit(conversation, contextWindow: model.contextWindow, reserved: maxTokens + HistoryBudget.estimate(system, definitions))
        var messages = fitted.messages
        try sessions.append(sessionID, .runStart(runID: runID, agent: agent.value, model: reference, api: provider.api.rawValue,
                                                 namespace: context.namespace, credentials: credentials.count, historyDropped: fitted.dropped),
                            settingModelOf: context.key, to: reference.description)
        onEvent(.started(runID: runID, sessionKey: context.key, sessionID: sessionID, model: reference))

        // The profile that last worked, recorded once per run rather than per turn.
        var workedProfile: String?
        defer { if let workedProfile { try? authProfiles.recordSuccess(profileID: workedProfile, provider: provider.id, model: model.id) } }
        var usage = TokenUsage()
        var toolCallCount = 0
        var turn = 0
        // Text streamed in the current turn, kept so a failure mid-stream still records it.
        let streamed = LockedValue("")
        do {
            while true {
                try Task.checkCancellation()
                turn += 1
                let request = ModelRequest(model: model.id, system: system, messages: messages, tools: definitions,
                                           maxTokens: maxTokens, stream: context.stream)
                let store = authProfiles
                let outcome = try await invoker.complete(request, provider: provider, credentials: credentials, onRateLimit: { credential in
                    if let id = credential.profileID { try? store.recordRateLimit(profileID: id, model: model.id) }
                    onEvent(.rateLimited(credential: credential.label))
                }, onText: { text in
                    streamed.withLock { $0 += text }
                    onEvent(.text(text))
                })
                streamed.withLock { $0 = "" }
                if let id = outcome.credential.profileID { workedProfile = id }
                let response = outcome.response
                if !context.stream, !response.text.isEmpty { onEvent(.text(response.text)) }
                usage = usage + response.usage
                try record(.assistantMessage(response, reference: reference, credential: outcome.credential))
                messages.append(.assistant(text: response.text, toolCalls: response.toolCalls))
                onEvent(.turnCompleted(turn: turn, usage: response.usage))
                if response.toolCalls.isEmpty {
                    try record(.runEnd(runID: runID, turns: turn, usage: usage, toolCalls: toolCallCount))
                    return AgentRunResult(runID: runID, sessionKey: context.key, sessionID: sessionID, model: reference, text: response.text,
                                          turns: turn, usage: usage, toolCalls: toolCallCount)
                }
                for call in response.toolCalls {
                    try Task.checkCancellation()
                    onEvent(.toolCall(call))
                    toolCallCount += 1
                    let result: ToolOutcome
                    if call.name == SubagentSpawner.definition.name, canSpawn {
                        result = await SubagentSpawner(runtime: self).spawn(call, parent: context, parentSessionID: sessionID, onEvent: onEvent)
                    } else if call.name == SubagentSpawner.definition.name {
                        result = .failure("sessions_spawn: subagents cannot spawn further subagents (depth limit \(configuration.maxSpawnDepth))", ["status": "forbidden"])
                    } else {
                        result = tools.execute(call)
                    }
                    try record(.toolResult(call, result))
                    messages.append(.toolResult(callID: call.id, toolName: call.name, text: result.text, isError: result.isError))
                    onEvent(.toolResult(call, result))
                }
                if turn >= context.maxTurns {
                    throw AgentRuntimeError(.turnLimit, "the run reached its limit of \(context.maxTurns) turns with tool calls still pending")
                }
            }
        } catch {
            let failure = AgentRuntimeError.wrap(error)
            _ = try? record(.runEnd(runID: runID, turns: turn, usage: usage, toolCalls: toolCallCount, failure: failure,
                                    partialText: streamed.withLock { $0 }))
            throw failure
        }
    }

    /// Every secret this agent knows: the run's credentials, every stored profile's inline secret
    /// and every environment value whose name says key, token or secret. Transcripts never hold them.
    func knownSecrets(_ credentials: [Credential], profiles: [AuthProfile]) -> [String] {
        var secrets = Set(credentials.map(\.secret))
        for profile in profiles {
            switch profile.credential {
            case .apiKey(let key?, _): secrets.insert(key)
            case .token(let token?, _, _): secrets.insert(token)
            case .oauth(let access, let refresh, _):
                secrets.insert(access)
                if let refresh { secrets.insert(refresh) }
            default: break
            }
        }
        for (name, value) in environment.variables where value.count >= 8 {
            let upper = name.uppercased()
            if upper.contains("KEY") || upper.contains("TOKEN") || upper.contains("SECRET") || upper.contains("PASSWORD") { secrets.insert(value) }
        }
        return secrets.sorted { $0.count > $1.count }
    }
}
