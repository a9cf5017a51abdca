import Foundation
import Logging
import StateStore
import Storage
import VFS

/// Settings of the agent loop.
public struct RuntimeConfiguration: Sendable {
    /// The most model turns one run may take (default 16).
    public var maxTurns: Int = 16
    /// How deep subagents may nest: 1 lets the agent spawn subagents that cannot spawn (default).
    public var maxSpawnDepth: Int = 1
    /// Limits on subagent attachments.
    public var attachmentLimits: AttachmentLimits = .fromEnvironment()
    /// The completion budget when the catalog does not give one.
    public var defaultMaxTokens: Int = 4096

    /// The defaults.
    public init() {}
}

/// One agent's runtime: its sessions and transcripts, credentials, skills and VFS, the model
/// catalog, and the agent loop.
///
/// ```swift
/// let host = try AgentHost(state: StateDirectory())
/// let runtime = try await host.runtime(for: .main)
/// let run = try await runtime.run(AgentRunRequest(message: "Summarize notes.md"))
/// for await event in run.events { ... }
/// await host.shutdown()
/// ```
/// A runtime belongs to an ``AgentHost``, which opens it on first use and closes it; it knows
/// nothing of HTTP servers and calls model providers as a client.
public final class AgentRuntime: Sendable {
    /// The namespaces every agent database has from its creation, which cannot be removed: the
    /// workspace and the skills.
    public static let builtInNamespaces = [NamespaceName.workspace, SkillStore.namespaceName]
    /// The VFS tables of an agent database, created with ``builtInNamespaces``.
    public static let fileSystemSchema = VirtualFileSystem.schema(builtInNamespaces: builtInNamespaces)
    /// The schema components of an agent database.
    public static let agentComponents = [fileSystemSchema, RuntimeSchema.agent]

    /// The state directory.
    public let state: StateDirectory
    /// The agent.
    public let agent: AgentID
    /// The agent's database.
    public let agentDatabase: StateDatabase
    /// The global database (the host's).
    public let globalDatabase: StateDatabase
    /// The agent's VFS.
    public let fileSystem: VirtualFileSystem
    /// Sessions and transcripts.
    public let sessions: SessionStore
    /// The model catalog.
    public let catalog: ModelCatalog
    /// Credentials and their usage state.
    public let authProfiles: AuthProfileStore
    /// Agent settings (the default model).
    public let settings: AgentSettings
    /// Uploaded skills.
    public let skills: SkillStore
    /// Where environment keys come from.
    public let environment: RuntimeEnvironment
    /// Loop settings.
    public let configuration: RuntimeConfiguration
    /// Where the runtime logs (the host's logger, with the agent's id).
    public let logger: Logger
    let invoker: ModelInvoker
    let runLog: SubagentRunLog
    /// The runs in flight (the host's, shared by its agents).
    let registry: RunRegistry

    /// Opens the agent's runtime in a host of its own, for a caller that needs one agent once.
    /// Servers and anything holding several agents use ``AgentHost``.
    public static func open(state: StateDirectory, agent: AgentID, environment: RuntimeEnvironment? = nil,
                            configuration: RuntimeConfiguration = .init()) throws -> AgentRuntime {
        try AgentHost(state: state, environment: environment, configuration: configuration).runtime(for: agent)
    }

    init(state: StateDirectory, agent: AgentID, agentDatabase: StateDatabase, globalDatabase: StateDatabase,
         environment: RuntimeEnvironment, configuration: RuntimeConfiguration, invoker: ModelInvoker = ModelInvoker(),
         logger: Logger = Logger(label: "openclaw.runtime"), registry: RunRegistry = RunRegistry()) {
        self.state = state
        self.agent = agent
        self.agentDatabase = agentDatabase
        self.globalDatabase = globalDatabase
        self.fileSystem = VirtualFileSystem(database: agentDatabase, builtInNamespaces: Self.builtInNamespaces)
        self.sessions = SessionStore(database: agentDatabase, agent: agent)
        self.catalog = ModelCatalog(database: globalDatabase)
        self.authProfiles = AuthProfileStore(database: agentDatabase)
        self.settings = AgentSettings(database: agentDatabase)
        self.skills = SkillStore(fileSystem: fileSystem)
        self.environment = environment
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "agent"] = .string(agent.value)
        self.logger = logger
        var invoker = invoker
        invoker.logger = logger
        self.invoker = invoker
        self.runLog = SubagentRunLog(database: globalDatabase)
        self.registry = registry
    }

    /// The credentials for `provider`, in the order they are tried, and the stored profiles that
    /// are not used (with why).
    public func credentials(provider: String, model: String? = nil) async throws -> (usable: [Credential], skipped: [SkippedCredential]) {
        let store = authProfiles
        let (profiles, state) = try await BlockingWork.storage { (try store.profiles(), try store.state()) }
        return await CredentialResolver(environment: environment).candidates(provider: provider, model: model, profiles: profiles, state: state)
    }

    /// The model a run uses: `requested`, else the agent's default, else the catalog's only model.
    public func resolveModel(_ requested: ModelReference?) throws -> (reference: ModelReference, provider: ModelProviderConfiguration, model: ModelDescriptor) {
        try resolveModel(chosen: requested ?? settings.defaultModel())
    }

    /// The model a run uses, the agent's default already read: `chosen` (the request's model or
    /// the default), else the catalog's only model.
    func resolveModel(chosen: ModelReference?) throws -> (reference: ModelReference, provider: ModelProviderConfiguration, model: ModelDescriptor) {
        if let reference = chosen {
            let resolved = try catalog.resolve(reference)
            return (reference, resolved.provider, resolved.model)
        }
        let all = try catalog.providers().flatMap { provider in provider.models.map { (provider, $0) } }
        guard all.count == 1, let (provider, model) = all.first else {
            throw all.isEmpty
                ? AgentRuntimeError(.invalidArgument, "no model: the catalog has no provider",
                                    hint: "add one with `openclaw models providers set ID --api ... --base-url ... --model MODEL`")
                : AgentRuntimeError(.invalidArgument, "no default model for agent '\(agent)' among \(all.count) models",
                                    hint: "choose one with `openclaw models set PROVIDER/MODEL`, or name it in the request (--model)")
        }
        return (ModelReference(provider: provider.id, model: model.id), provider, model)
    }

    /// Subagent runs of this agent, oldest first.
    public func subagentRuns() throws -> [SubagentRunRecord] {
        try runLog.runs(agent: agent.value)
    }

    /// Sends one probe request (a one-token completion) with `credential`.
    public func probe(provider: ModelProviderConfiguration, model: ModelDescriptor, credential: Credential) async -> AgentRuntimeError? {
        let request = ModelRequest(model: model.id, system: "Reply with OK.", messages: [.user("ping")], tools: [], maxTokens: 1, stream: false)
        var client = invoker.client
        client.initialBackoff = .milliseconds(100)
        var quick = provider
        quick.maxRetries = 0
        do {
            _ = try await client.send(request, provider: quick, credential: credential) { _ in }
            return nil
        } catch {
            return AgentRuntimeError.wrap(error)
        }
    }
}
