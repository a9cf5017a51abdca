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
/// let runtime = try AgentRuntime.open(state: StateDirectory(), agent: .main)
/// let result = try await runtime.run(AgentRunRequest(message: "Summarize notes.md"))
/// ```
/// It knows nothing of HTTP servers; it calls model providers as a client.
public final class AgentRuntime: Sendable {
    /// The schema components of an agent database.
    public static let agentComponents = [VirtualFileSystem.schema, RuntimeSchema.agent]

    /// The state directory.
    public let state: StateDirectory
    /// The agent.
    public let agent: AgentID
    /// The agent's database.
    public let agentDatabase: StateDatabase
    /// The global database.
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
    let invoker: ModelInvoker
    let runLog: SubagentRunLog
    let logger = Logger(label: "openclaw.runtime")

    /// Opens (creating if needed) the agent's database and the global database.
    /// - parameter environment: the credential environment; default: the process environment over
    ///   `<state root>/.env`.
    public static func open(state: StateDirectory, agent: AgentID, environment: RuntimeEnvironment? = nil,
                            configuration: RuntimeConfiguration = .init()) throws -> AgentRuntime {
        do {
            let global = try state.openGlobal(components: [RuntimeSchema.global])
            let database = try state.openAgent(agent, components: agentComponents, global: global)
            return AgentRuntime(state: state, agent: agent, agentDatabase: database, globalDatabase: global,
                                environment: environment ?? RuntimeEnvironment.load(stateRoot: state.root), configuration: configuration)
        } catch {
            throw AgentRuntimeError.wrap(error)
        }
    }

    init(state: StateDirectory, agent: AgentID, agentDatabase: StateDatabase, globalDatabase: StateDatabase,
         environment: RuntimeEnvironment, configuration: RuntimeConfiguration, invoker: ModelInvoker = ModelInvoker()) {
        self.state = state
        self.agent = agent
        self.agentDatabase = agentDatabase
        self.globalDatabase = globalDatabase
        self.fileSystem = VirtualFileSystem(database: agentDatabase)
        self.sessions = SessionStore(database: agentDatabase, agent: agent)
        self.catalog = ModelCatalog(database: globalDatabase)
        self.authProfiles = AuthProfileStore(database: agentDatabase)
        self.settings = AgentSettings(database: agentDatabase)
        self.skills = SkillStore(fileSystem: fileSystem)
        self.environment = environment
        self.configuration = configuration
        self.invoker = invoker
        self.runLog = SubagentRunLog(database: globalDatabase)
    }

    /// The credentials for `provider`, in the order they are tried, and the stored profiles that
    /// are not used (with why).
    public func credentials(provider: String, model: String? = nil) throws -> (usable: [Credential], skipped: [SkippedCredential]) {
        let resolver = CredentialResolver(environment: environment)
        return resolver.candidates(provider: provider, model: model, profiles: try authProfiles.profiles(), state: try authProfiles.state())
    }

    /// The model a run uses: `requested`, else the agent's default, else the catalog's only model.
    public func resolveModel(_ requested: ModelReference?) throws -> (reference: ModelReference, provider: ModelProviderConfiguration, model: ModelDescriptor) {
        if let reference = try requested ?? settings.defaultModel() {
            let resolved = try catalog.resolve(reference)
            return (reference, resolved.provider, resolved.model)
        }
        let all = try catalog.providers().flatMap { provider in provider.models.map { (provider, $0) } }
        guard all.count == 1, let (provider, model) = all.first else {
            throw AgentRuntimeError(.invalidArgument, all.isEmpty
                ? "no model: add a provider with `openclaw models providers set ID --api ... --base-url ... --model MODEL`"
                : "no default model for agent '\(agent)': choose one with `openclaw models set PROVIDER/MODEL` or pass --model")
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
