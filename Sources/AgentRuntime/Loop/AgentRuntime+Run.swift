import Foundation
import VFS

extension AgentRuntime {
    /// The largest user message accepted.
    public static let maxMessageBytes = 1 << 20

    /// Starts a run of one user message and returns at once with its events: model turns with
    /// tools over the agent's VFS until the model answers without calling a tool, the turn limit
    /// is reached, the run is aborted or the provider fails. Every step is written to the
    /// transcript as it happens; the events end with one terminal event, and a run that started
    /// ends its transcript entries with a `run_end` that says how it ended.
    ///
    /// The run waits for its session's earlier runs to end (one run at a time per session, in
    /// the order `run` was called). With an idempotency key already used in the session, nothing
    /// runs again: the answer is the first run's id while it is in flight, else its recorded
    /// outcome.
    /// - throws: ``AgentRuntimeError`` with `invalid_argument` for a bad request (nothing ran).
    public func run(_ request: AgentRunRequest) async throws -> AgentRun {
        let key = request.sessionKey ?? .main(agent)
        guard key.agent == agent else {
            throw AgentRuntimeError(.invalidArgument, "session key \(key) belongs to agent '\(key.agent)', not '\(agent)'")
        }
        guard !request.message.isBlank else {
            throw AgentRuntimeError(.invalidArgument, "the message is empty")
        }
        guard request.message.utf8.count <= Self.maxMessageBytes else {
            throw AgentRuntimeError(.invalidArgument, "the message is larger than \(Self.maxMessageBytes) bytes")
        }
        let maxTurns = request.maxTurns ?? configuration.maxTurns
        guard (1...1000).contains(maxTurns) else { throw AgentRuntimeError(.invalidArgument, "the turn limit must be between 1 and 1000") }
        var context = RunContext(key: key, namespace: NamespaceName.workspace, depth: 0, attachmentNote: nil,
                                 model: request.model, maxTurns: maxTurns, stream: request.stream, idempotencyKey: request.idempotencyKey)
        if let runID = request.runID {
            guard Self.isValidRunID(runID) else {
                throw AgentRuntimeError(.invalidArgument, "a run id is 1 to 128 characters of letters, digits and . _ : -")
            }
            context.runID = runID
        }
        let runID = context.runID
        switch registry.register(runID: runID, sessionKey: key, idempotencyKey: request.idempotencyKey) {
        case .registered:
            break
        case .inFlight(let running):
            return AgentRun(runID: running, sessionKey: key, disposition: .inFlight, events: AsyncStream { $0.finish() })
        case .runIDInUse:
            throw AgentRuntimeError(.inFlight, "run id \(runID) is in use by another run in flight")
        }
        let (events, continuation) = AsyncStream.makeStream(of: AgentRunEvent.self)
        let registry = self.registry
        let sessions = self.sessions
        let outcome = RunOutcome()
        let sink = RunEventSink(runID: runID, sessionKey: key, continuation: continuation, outcome: outcome, beforeTerminal: { registry.finish(runID) })
        let progress = ModelCallProgress(sink: sink)
        let holdsTurn = registry.holdsTurn(runID, in: key)
        let message = request.message
        // The run is on disk before `run` returns (before a server acknowledges it). Its task
        // records that, on the storage lane where it then runs (one thread switch there and one
        // back, where a hop for the start and then a task would make three): a run that holds
        // its session at once records its start, its user message and `run_start`, the commit
        // it makes anyway. One that waits for its turn (or whose credentials need a program
        // first) records a pending row, which its start deletes; a process killed before then
        // leaves the message for ``recoverInterruptedRuns()``. A key already used answers with
        // the first run's outcome and runs nothing.
        let opening: RunOpening = try await withCheckedThrowingContinuation { opened in
            let task = Task(executorPreference: BlockingWork.storageExecutor, priority: .utility) { [self, context] in
                defer {
                    progress.cancelEarly()
                    registry.finish(runID)
                    sink.finish()
                }
                var context = context
                if let idempotencyKey = context.idempotencyKey {
                    do {
                        if let recorded = try await recordedRun(key, idempotencyKey: idempotencyKey) {
                            return opened.resume(returning: .recorded(recorded))
                        }
                    } catch {
                        return opened.resume(throwing: AgentRuntimeError.wrap(error))
                    }
                }
                var prestarted: Result<RunStart, any Error>?
                if holdsTurn {
                    do {
                        if case .started(let start) = try startTransaction(context, message: message, progress: progress) { prestarted = .success(start) }
                    } catch {
                        prestarted = .failure(error)
                    }
                }
                if prestarted == nil {
                    do {
                        context.pendingID = try await sessions.recordPending(runID: runID, key: key, idempotencyKey: context.idempotencyKey, message: message)
                    } catch {
                        return opened.resume(throwing: AgentRuntimeError.wrap(error))
                    }
                }
                opened.resume(returning: .started)
                do {
                    try await registry.waitForTurn(runID, in: key)
                } catch {
                    if let pendingID = context.pendingID { try? await sessions.deletePending(pendingID) }
                    sink.emit(.aborted(reason: registry.abortReason(runID) ?? "the run was aborted before it started", partialText: ""))
                    return
                }
                _ = await self.execute(context, message: message, sink: sink, progress: progress, prestarted: prestarted)
            }
            registry.attach(task, to: runID)
        }
        switch opening {
        case .recorded(let recorded):
            return recorded
        case .started:
            return AgentRun(runID: runID, sessionKey: key, disposition: .started, events: events, outcome: outcome)
        }
    }

    /// How a run's task answered ``run(_:)``.
    private enum RunOpening: Sendable {
        /// Its start (or its pending row) is recorded; it goes on.
        case started
        /// The idempotency key was used before: that run's answer; nothing runs.
        case recorded(AgentRun)
    }

    /// Whether `runID` may name a run: 1 to 128 ASCII letters, digits and `.` `_` `:` `-`.
    public static func isValidRunID(_ runID: String) -> Bool {
        (1...128).contains(runID.utf8.count) && runID.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte == 0x2D
        }
    }

    /// Runs one user message to its end: ``run(_:)`` and ``AgentRun/result(onEvent:)``.
    /// Cancelling the calling task aborts the run (as Ctrl-C does), which still ends with its
    /// `run_end`.
    public func run(_ request: AgentRunRequest, onEvent: @escaping @Sendable (AgentRunEvent) -> Void) async throws -> AgentRunResult {
        let run = try await self.run(request)
        let registry = self.registry
        // The events are read by a task of their own: a cancelled reader would stop reading
        // before the run's terminal event arrives.
        let reader = Task { try await run.result(onEvent: onEvent) }
        return try await withTaskCancellationHandler {
            try await reader.value
        } onCancel: {
            _ = registry.abort(run.runID, reason: "the run was aborted")
        }
    }

    /// Aborts a run of this host in flight, waiting for its session or running; it ends with an
    /// `aborted` event and, if it started, a `run_end` with status `aborted`, its partial text
    /// kept. Returns `false` when no such run is in flight.
    @discardableResult
    public func abort(runID: String, reason: String = "the run was aborted") -> Bool {
        registry.abort(runID, reason: reason)
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
        /// The run's row in `pending_runs` until its start is recorded.
        var pendingID: Int64?
        /// The run an abort is addressed to: this one, or the top run of a subagent.
        var rootRunID: String?
        /// Credentials already resolved by the parent run (a subagent reuses them).
        var credentials: [Credential]?
        /// The secrets the parent run redacts (a subagent reuses them).
        var secrets: [String]?
    }

    /// The two tool sets a run offers, built once (one array each: the request encoder's cache
    /// recognises them at a glance), and their sizes for the history budget.
    private static let toolSets = (workspace: WorkspaceTools.definitions, withSpawn: WorkspaceTools.definitions + [SubagentSpawner.definition])
    private static let toolBytes = (workspace: HistoryBudget.bytes(of: toolSets.workspace), withSpawn: HistoryBudget.bytes(of: toolSets.withSpawn))

    /// What a run knows once its start is recorded.
    struct RunStart: Sendable {
        var reference: ModelReference
        var provider: ModelProviderConfiguration
        var model: ModelDescriptor
        var sessionID: String
        var system: String
        /// The history that fits the model's context window, ending with the user's message.
        var messages: [ChatMessage]
        var credentials: [Credential]
        var secrets: [String]
    }

    /// The outcome of one attempt to start a run.
    private enum StartAttempt: Sendable {
        case started(RunStart)
        /// A secret of a candidate credential comes from a program: nothing was written; the
        /// credentials are resolved outside the transaction and the start is tried again.
        case needsPrograms(provider: String, model: String, profiles: [AuthProfile], state: AuthState)
    }

    /// Starts a run: reads what it needs (model, session, history, credentials, skills) and
    /// records its start (the user's message and `run_start`, the session started when the key
    /// has none) in one write transaction, on the thread the run already runs on. A run that
    /// cannot start (no model, no credential, its message already recorded) writes nothing. When
    /// a credential's secret comes from a program, the program runs between a first attempt,
    /// which writes nothing, and a second.
    private func start(_ context: inout RunContext, message: String, progress: ModelCallProgress) async throws -> RunStart {
        while true {
            switch try await BlockingWork.storage({ [self, context] in try startTransaction(context, message: message, progress: progress) }) {
            case .started(let start):
                context.credentials = start.credentials
                context.secrets = start.secrets
                return start
            case .needsPrograms(let provider, let model, let profiles, let state):
                // With the credentials given, the next attempt resolves none.
                let candidates = await CredentialResolver(environment: environment).candidates(provider: provider, model: model, profiles: profiles, state: state)
                context.credentials = candidates.usable
                context.secrets = runSecrets(candidates.usable, provider: provider, profiles: profiles)
                try Task.checkCancellation()
            }
        }
    }

    /// One attempt at a run's start, in one write transaction. Once the request of the first turn
    /// is known, it is sent (``ModelCallProgress/sendEarly(_:)``) while the start is appended and
    /// committed; a start that then fails cancels it.
    private func startTransaction(_ context: RunContext, message: String, progress: ModelCallProgress) throws -> StartAttempt {
        do {
            return try startTransactionSendingEarly(context, message: message, progress: progress)
        } catch {
            progress.cancelEarly()
            throw error
        }
    }

    private func startTransactionSendingEarly(_ context: RunContext, message: String, progress: ModelCallProgress) throws -> StartAttempt {
        let (sessions, settings, key, invoker) = (self.sessions, self.settings, context.key, self.invoker)
        return try agentDatabase.immediate { db in
            let session = try sessions.session(db, key)
            let chosenForSession = session?.modelOverride.flatMap { try? ModelReference($0) }
            let chosen = try context.model ?? chosenForSession ?? settings.defaultModel(db)
            let (reference, provider, model) = try resolveModel(chosen: chosen)
            // Credentials and the secrets to redact are resolved once per run (profiles read
            // once); a subagent inherits its parent's.
            var credentials = context.credentials ?? []
            var secrets = context.secrets ?? []
            if context.credentials == nil || context.secrets == nil {
                let profiles = try AuthProfileStore.loadProfiles(db).values.sorted { $0.id < $1.id }
                let state = try AuthProfileStore.loadState(db)
                guard let candidates = CredentialResolver(environment: environment)
                    .candidatesWithoutPrograms(provider: provider.id, model: model.id, profiles: profiles, state: state) else {
                    return .needsPrograms(provider: provider.id, model: model.id, profiles: profiles, state: state)
                }
                credentials = candidates.usable
                secrets = runSecrets(candidates.usable, provider: provider.id, profiles: profiles)
            }
            // Nothing is written for a run that cannot start: no user message to replay later.
            guard !credentials.isEmpty else { throw ModelInvoker.missingCredentials(provider) }
            try Task.checkCancellation()
            let history = try session.map { Self.history(from: try sessions.events(db, $0.sessionID, types: ["message"])) } ?? []
            let skills = (try? SkillStore.list(db)) ?? []
            let canSpawn = context.depth < configuration.maxSpawnDepth
            let system = SystemPrompt.build(agent: agent.value, sessionKey: key, skills: skills, canSpawn: canSpawn, attachmentNote: context.attachmentNote)
            let maxTokens = model.maxTokens ?? configuration.defaultMaxTokens
            // The oldest exchanges go when the history would not fit the model's context window.
            let fitted = HistoryBudget.fit(history + [.user(message)], contextWindow: model.contextWindow,
                                           reserved: maxTokens + HistoryBudget.estimate(system, toolBytes: canSpawn ? Self.toolBytes.withSpawn : Self.toolBytes.workspace))
            // The first turn's request is what the loop would send: it goes now, and the answer
            // is read once the start below is committed and reported.
            let request = ModelRequest(model: model.id, system: system, messages: fitted.messages, tools: canSpawn ? Self.toolSets.withSpawn : Self.toolSets.workspace,
                                       maxTokens: maxTokens, stream: context.stream)
            progress.sendEarly { [credentials] in
                try await invoker.complete(request, provider: provider, credentials: credentials,
                                           onRateLimit: { progress.rateLimited($0) }, onText: { progress.text($0) })
            }
            let drafts: [TranscriptEventDraft] = [
                .userMessage(message, idempotencyKey: context.idempotencyKey),
                .runStart(runID: context.runID, agent: agent.value, model: reference, api: provider.api.rawValue,
                          namespace: context.namespace, credentials: credentials.count, historyDropped: fitted.dropped),
            ]
            let written = try sessions.append(db, creatingSessionOf: key, drafts.map { Self.redacted($0, secrets: secrets) }, model: reference.description)
            if let user = written.events.first, user.deduplicated {
                // Another process wrote this key's message since the check: it runs there.
                throw AgentRuntimeError(.inFlight, "the message with idempotency key \(context.idempotencyKey ?? "") (event \(user.seq)) is running elsewhere or was interrupted; not running it again")
            }
            if let pendingID = context.pendingID { try sessions.deletePending(pendingID, in: db) }
            return .started(RunStart(reference: reference, provider: provider, model: model, sessionID: written.sessionID, system: system,
                                     messages: fitted.messages, credentials: credentials, secrets: secrets))
        }
    }

    /// `draft` with the run's secrets and secret-shaped tokens redacted: how every event is
    /// stored (the model still sees what it was sent).
    private static func redacted(_ draft: TranscriptEventDraft, secrets: [String]) -> TranscriptEventDraft {
        var draft = draft
        draft.fields = draft.fields.mapValues { Redaction.redact($0, secrets: secrets) }
        return draft
    }

    /// Runs the loop and emits its events, ending with one terminal event; never throws.
    /// `prestarted`: the run's start, already recorded (or refused) by ``run(_:)``.
    /// `progress`: the run's model calls (the first one possibly sent by its start already).
    func execute(_ context: RunContext, message: String, sink: RunEventSink, progress: ModelCallProgress? = nil,
                 prestarted: Result<RunStart, any Error>? = nil) async -> Result<AgentRunResult, AgentRuntimeError> {
        var context = context
        let progress = progress ?? ModelCallProgress(sink: sink)
        let abortID = context.rootRunID ?? context.runID
        let registry = self.registry
        func ending(_ error: any Error) -> AgentRuntimeError {
            var failure = AgentRuntimeError.wrap(error)
            if failure.code == .aborted, let reason = registry.abortReason(abortID) { failure.message = reason }
            return failure
        }
        func terminal(_ failure: AgentRuntimeError, partialText: String = "") -> Result<AgentRunResult, AgentRuntimeError> {
            sink.emit(failure.code == .aborted ? .aborted(reason: failure.message, partialText: partialText) : .failed(failure))
            return .failure(failure)
        }

        let start: RunStart
        do {
            if let prestarted {
                start = try prestarted.get()
                context.credentials = start.credentials
                context.secrets = start.secrets
            } else {
                try Task.checkCancellation()
                start = try await self.start(&context, message: message, progress: progress)
            }
        } catch {
            // Nothing was written: the accepted run ends here, its row with it.
            if let pendingID = context.pendingID { try? await sessions.deletePending(pendingID) }
            return terminal(ending(error))
        }
        let (reference, provider, model, sessionID) = (start.reference, start.provider, start.model, start.sessionID)
        let (credentials, secrets) = (start.credentials, start.secrets)
        let sessions = self.sessions
        func redacted(_ draft: TranscriptEventDraft) -> TranscriptEventDraft { Self.redacted(draft, secrets: secrets) }
        let runID = context.runID
        let canSpawn = context.depth < configuration.maxSpawnDepth
        let tools = WorkspaceTools(fileSystem: fileSystem, namespace: context.namespace)
        let definitions = canSpawn ? Self.toolSets.withSpawn : Self.toolSets.workspace
        let maxTokens = model.maxTokens ?? configuration.defaultMaxTokens
        var messages = start.messages
        var usage = TokenUsage()
        var toolCallCount = 0
        var turn = 0
        // The profile that last worked: recorded once per run, off the concurrency threads (the
        // rate-limited ones once per turn).
        var workedProfile: String?
        /// Writes `drafts` in one transaction (a turn's events that belong together).
        func record(_ drafts: TranscriptEventDraft...) async throws {
            _ = try await sessions.append(sessionID, drafts.map(redacted))
        }
        do {
            sink.emit(.started(sessionID: sessionID, model: reference))
            progress.open()
            while true {
                try Task.checkCancellation()
                turn += 1
                let outcome: ModelInvoker.Outcome
                do {
                    if turn == 1, let early = progress.takeEarly() {
                        outcome = try await withTaskCancellationHandler { try await early.value } onCancel: { early.cancel() }
                    } else {
                        let request = ModelRequest(model: model.id, system: start.system, messages: messages, tools: definitions,
                                                   maxTokens: maxTokens, stream: context.stream)
                        outcome = try await invoker.complete(request, provider: provider, credentials: credentials,
                                                             onRateLimit: { progress.rateLimited($0) }, onText: { progress.text($0) })
                    }
                } catch {
                    await recordCredentialUse(rateLimited: progress.takeRateLimited(), model: model.id)
                    throw error
                }
                await recordCredentialUse(rateLimited: progress.takeRateLimited(), model: model.id)
                progress.clearStreamed()
                if let id = outcome.credential.profileID { workedProfile = id }
                let response = outcome.response
                if !context.stream, !response.text.isEmpty { sink.emit(.text(response.text)) }
                usage = usage + response.usage
                let assistant = TranscriptEventDraft.assistantMessage(response, reference: reference, credential: outcome.credential)
                if response.toolCalls.isEmpty {
                    // The last answer and the run's end are one transaction.
                    try await record(assistant, .runEnd(runID: runID, turns: turn, usage: usage, toolCalls: toolCallCount))
                    sink.emit(.turnCompleted(turn: turn, usage: response.usage))
                    await recordSuccess(workedProfile, provider: provider.id, model: model.id)
                    sink.emit(.completed(text: response.text, usage: usage, turns: turn, toolCalls: toolCallCount))
                    return .success(AgentRunResult(runID: runID, sessionKey: context.key, sessionID: sessionID, model: reference, text: response.text,
                                                   turns: turn, usage: usage, toolCalls: toolCallCount))
                }
                try await record(assistant)
                messages.append(.assistant(text: response.text, toolCalls: response.toolCalls))
                sink.emit(.turnCompleted(turn: turn, usage: response.usage))
                for call in response.toolCalls {
                    try Task.checkCancellation()
                    sink.emit(.toolCall(call))
                    toolCallCount += 1
                    let result: ToolOutcome
                    if call.name == SubagentSpawner.definition.name, canSpawn {
                        var parent = context
                        parent.rootRunID = abortID
                        result = await SubagentSpawner(runtime: self).spawn(call, parent: parent, parentSessionID: sessionID, sink: sink)
                    } else if call.name == SubagentSpawner.definition.name {
                        result = .failure("sessions_spawn: subagents cannot spawn further subagents (depth limit \(configuration.maxSpawnDepth))", ["status": "forbidden"])
                    } else {
                        // Tools may spend seconds of CPU (a grep over a large workspace): never on
                        // a concurrency thread.
                        result = try await BlockingWork.tool { tools.execute(call) }
                    }
                    try await record(.toolResult(call, result))
                    messages.append(.toolResult(callID: call.id, toolName: call.name, text: result.text, isError: result.isError))
                    sink.emit(.toolResult(call, result))
                }
                if turn >= context.maxTurns {
                    throw AgentRuntimeError(.turnLimit, "the run reached its limit of \(context.maxTurns) turns with tool calls still pending")
                }
            }
        } catch {
            // A first call sent early and not awaited yet (the run was aborted before it) reports
            // nothing after the end.
            progress.close()
            let failure = ending(error)
            let partial = progress.streamed
            let end = TranscriptEventDraft.runEnd(runID: runID, turns: turn, usage: usage, toolCalls: toolCallCount, failure: failure, partialText: partial)
            // Written from a task of its own: this one may be cancelled (an abort), and the
            // end of the run must still be recorded.
            let recorded = redacted(end)
            _ = try? await Task { try await sessions.append(sessionID, recorded) }.value
            await recordSuccess(workedProfile, provider: provider.id, model: model.id)
            return terminal(failure, partialText: Redaction.redact(partial, secrets: secrets))
        }
    }

    /// Records the profiles a turn found rate-limited.
    private func recordCredentialUse(rateLimited: [String], model: String) async {
        guard !rateLimited.isEmpty else { return }
        let store = authProfiles
        _ = try? await BlockingWork.storage {
            for id in rateLimited { try? store.recordRateLimit(profileID: id, model: model) }
        }
    }

    /// Records the profile that last worked, once per run rather than per turn.
    private func recordSuccess(_ profileID: String?, provider: String, model: String) async {
        guard let profileID else { return }
        let store = authProfiles
        _ = try? await BlockingWork.storage { try? store.recordSuccess(profileID: profileID, provider: provider, model: model) }
    }

    /// The secrets a run keeps out of its transcript: its credentials, the stored secrets of its
    /// provider's profiles and the values of the environment variables that provider's keys are
    /// configured in. (Other variables are not secrets of this run.)
    func runSecrets(_ credentials: [Credential], provider: String, profiles: [AuthProfile]) -> [String] {
        var secrets = Set(credentials.map(\.secret))
        for profile in profiles where profile.provider == provider {
            switch profile.credential {
            case .apiKey(let key?, _): secrets.insert(key)
            case .token(let token?, _, _): secrets.insert(token)
            case .oauth(let access, let refresh, _):
                secrets.insert(access)
                if let refresh { secrets.insert(refresh) }
            default: break
            }
        }
        for key in environment.apiKeys(provider: provider).keys { secrets.insert(key.value) }
        return secrets.sorted { $0.count > $1.count }
    }
}
