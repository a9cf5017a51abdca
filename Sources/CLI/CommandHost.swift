import AgentRuntime
import Logging
import StateStore
import Synchronization

/// The one ``AgentHost`` of a CLI process: opened by the first runtime command that needs it,
/// shut down (WAL checkpointed, connections closed) when the command ends.
enum CommandHost {
    private static let shared = Mutex<AgentHost?>(nil)

    /// The host of `state`, opened on first use.
    static func host(for state: StateDirectory) throws -> AgentHost {
        try shared.withLock { host in
            if let host, host.state.root == state.root { return host }
            let opened = try AgentHost(state: state, logger: Logger(label: "openclaw.runtime"))
            host = opened
            return opened
        }
    }

    /// Shuts the host down, if one was opened.
    static func shutdown() async {
        let host = shared.withLock { host in
            defer { host = nil }
            return host
        }
        await host?.shutdown()
    }
}
