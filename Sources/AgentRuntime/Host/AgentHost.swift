import Foundation
import Logging
import StateStore
import Storage
import Synchronization

/// The one owner of a state directory's databases in a process: the global database, opened
/// once, and each agent's runtime, opened on first use and kept. A CLI command, a test and a
/// gateway serving many agents all hold one host.
///
/// The host keeps the runs in flight of all its agents: any of them can be aborted by run id
/// from any task (``abort(runID:reason:)``), and ``shutdown(reason:)`` aborts those still running,
/// waits for them to record their end, then checkpoints and closes every database.
///
/// ```swift
/// let host = try AgentHost(state: StateDirectory(), logger: logger)
/// let runtime = try await host.runtime(for: .main)
/// let run = try await runtime.run(AgentRunRequest(message: "hello"))
/// for await event in run.events { ... }
/// await host.shutdown()
/// ```
public final class AgentHost: Sendable {
    /// The state directory.
    public let state: StateDirectory
    /// The global database (model catalog, agent registry, subagent runs).
    public let globalDatabase: StateDatabase
    /// Where environment keys come from (every agent's).
    public let environment: RuntimeEnvironment
    /// Loop settings of every agent's runtime.
    public let configuration: RuntimeConfiguration
    /// Where the host and its runtimes log.
    public let logger: Logger
    let invoker: ModelInvoker
    let registry = RunRegistry()

    private struct State {
        var runtimes: [AgentID: AgentRuntime] = [:]
        var isShutDown = false
        var admission: (@Sendable (AgentID) throws -> Void)?
    }
    private let stateLock = Mutex(State())

    /// Opens the state directory's global database (creating it if needed).
    /// - parameter environment: the credential environment; default: the process environment over
    ///   `<state root>/.env`.
    public convenience init(state: StateDirectory, logger: Logger = Logger(label: "openclaw.runtime"), environment: RuntimeEnvironment? = nil,
                            configuration: RuntimeConfiguration = .init()) throws {
        try self.init(state: state, logger: logger, environment: environment, configuration: configuration, invoker: ModelInvoker())
    }

    init(state: StateDirectory, logger: Logger, environment: RuntimeEnvironment?, configuration: RuntimeConfiguration, invoker: ModelInvoker) throws {
        self.state = state
        self.logger = logger
        self.environment = environment ?? RuntimeEnvironment.load(stateRoot: state.root)
        self.configuration = configuration
        var invoker = invoker
        invoker.logger = logger
        self.invoker = invoker
        do {
            globalDatabase = try state.openGlobal(components: [RuntimeSchema.global])
        } catch {
            throw AgentRuntimeError.wrap(error)
        }
    }

    /// Opens the host off the concurrency threads (opening may migrate and wait for locks).
    public static func open(state: StateDirectory, logger: Logger = Logger(label: "openclaw.runtime"), environment: RuntimeEnvironment? = nil,
                            configuration: RuntimeConfiguration = .init()) async throws -> AgentHost {
        try await BlockingWork.storage { try AgentHost(state: state, logger: logger, environment: environment, configuration: configuration) }
    }

    /// The agent's runtime, opening its database (creating and registering it if needed) on
    /// first use. For synchronous callers; async code uses ``runtime(for:)-(AgentID)``'s async form.
    public func runtime(for agent: AgentID) throws -> AgentRuntime {
        try stateLock.withLock { held in
            guard !held.isShutDown else { throw AgentRuntimeError(.aborted, "the host is shut down") }
            if let runtime = held.runtimes[agent] { return runtime }
            if let admission = held.admission {
                do { try admission(agent) } catch { throw AgentRuntimeError.wrap(error) }
            }
            let database: StateDatabase
            do {
                database = try state.openAgent(agent, components: AgentRuntime.agentComponents, global: globalDatabase)
            } catch {
                throw AgentRuntimeError.wrap(error)
            }
            let runtime = AgentRuntime(state: state, agent: agent, agentDatabase: database, globalDatabase: globalDatabase, environment: environment,
                                       configuration: configuration, invoker: invoker, logger: logger, registry: registry)
            held.runtimes[agent] = runtime
            logger.debug("opened agent runtime", metadata: ["agent": .string(agent.value), "path": .string(database.path)])
            return runtime
        }
    }

    /// The agent's runtime, opened off the concurrency threads on first use.
    public func runtime(for agent: AgentID) async throws -> AgentRuntime {
        if let open = stateLock.withLock({ $0.runtimes[agent] }) { return open }
        return try await BlockingWork.storage { [self] in try runtime(for: agent) }
    }

    /// Runs `body` (synchronous runtime and database calls: session lists, transcripts, the
    /// catalog) on the host's storage threads and returns its result, so that async callers
    /// never block a Swift concurrency thread.
    public func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingWork.storage(body)
    }

    /// Sets the check an agent must pass before its database is opened here (a host placed by
    /// leases admits only the agents it holds). It throws to refuse; ``AgentRuntimeError/Code/notPlaced``
    /// says why. Runtimes already open stay open: ``close(_:reason:)`` closes one.
    public func admit(_ check: @escaping @Sendable (AgentID) throws -> Void) {
        stateLock.withLock { $0.admission = check }
    }

    /// Stops serving one agent: aborts its runs in flight (after `grace`, for runs that may finish
    /// by themselves), waits for them to record their end, checkpoints its database (PASSIVE
    /// when so configured) and closes it. The next ``runtime(for:)-(AgentID)`` opens it again,
    /// if admitted.
    public func close(_ agent: AgentID, grace: Duration = .zero, reason: String = "the agent stopped being served here") async {
        let deadline = ContinuousClock.now + grace
        while !registry.runs(of: agent).isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for (runID, _) in registry.runs(of: agent) { _ = registry.abort(runID, reason: reason) }
        for (_, task) in registry.runs(of: agent) { await task?.value }
        guard let runtime = stateLock.withLock({ $0.runtimes.removeValue(forKey: agent) }) else { return }
        let logger = self.logger
        _ = try? await BlockingWork.storage {
            do {
                runtime.agentDatabase.checkpoint()
                try runtime.agentDatabase.close()
            } catch {
                logger.warning("closing a database failed", metadata: ["path": .string(runtime.agentDatabase.path), "error": .string("\(error)")])
            }
        }
    }

    /// The runtimes opened so far, by agent id.
    public var openAgents: [AgentID] {
        stateLock.withLock { Array($0.runtimes.keys) }.sorted()
    }

    /// The agents registered in the global database, with their database paths.
    public func registeredAgents() throws -> [(agent: AgentID, path: String)] {
        do { return try state.registeredAgents(in: globalDatabase) } catch { throw AgentRuntimeError.wrap(error) }
    }

    /// Aborts a run in flight in any of the host's agents (waiting for its session or running).
    /// Returns `false` when no such run is in flight.
    @discardableResult
    public func abort(runID: String, reason: String = "the run was aborted") -> Bool {
        registry.abort(runID, reason: reason)
    }

    /// The ids of the runs in flight.
    public var activeRunIDs: [String] { registry.activeRunIDs }

    /// Aborts the runs in flight, waits for them to record their end, then checkpoints the WAL
    /// of every database into its file and closes it. Later calls do nothing; the host opens
    /// nothing afterwards.
    public func shutdown(reason: String = "the host is shutting down") async {
        let alreadyDown = stateLock.withLock { held in
            defer { held.isShutDown = true }
            return held.isShutDown
        }
        guard !alreadyDown else { return }
        for runID in registry.activeRunIDs { _ = registry.abort(runID, reason: reason) }
        for task in registry.activeTasks { await task.value }
        let databases = stateLock.withLock { held in held.runtimes.values.map(\.agentDatabase) } + [globalDatabase]
        let logger = self.logger
        _ = try? await BlockingWork.storage {
            for database in databases {
                do {
                    database.checkpoint()
                    try database.close()
                } catch {
                    logger.warning("closing a database failed", metadata: ["path": .string(database.path), "error": .string("\(error)")])
                }
            }
        }
    }
}
