import AgentRuntime
import ArgumentParser
import Foundation
import StateStore
import Storage
import VFS

/// `--state DIR`, shared by every command.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The state root (default $OPENCLAW_STATE_DIR, else ~/.openclaw).", valueName: "dir"))
    var state: String?

    func directory() -> StateDirectory { StateDirectory(root: state) }
}

/// `--state`, `--agent` and `--ns`, shared by the `vfs` commands.
struct VFSOptions: ParsableArguments {
    @OptionGroup var stateOptions: StateOptions

    @Option(name: .long, help: ArgumentHelp("The agent whose database to use.", valueName: "id"))
    var agent: String = "main"

    @Option(name: .customLong("ns"), help: ArgumentHelp("The namespace: workspace, skills, run:<id>, snapshot:<name>...", valueName: "name"))
    var namespace: String = NamespaceName.workspace

    func validate() throws {
        do { _ = try AgentID(agent) } catch let error as StateError { throw ValidationError(error.message) }
        guard NamespaceName.isValid(namespace) else {
            throw ValidationError("invalid namespace name '\(namespace)'; use a kind like 'workspace', optionally with ':id' ('run:123', 'snapshot:before-fix')")
        }
    }

    /// Opens the agent's database and its VFS.
    func fileSystem() throws -> VirtualFileSystem {
        let database = try stateOptions.directory().openAgent(try AgentID(agent), components: [AgentRuntime.fileSystemSchema])
        return VirtualFileSystem(database: database, builtInNamespaces: AgentRuntime.builtInNamespaces)
    }

    /// The selected namespace of the agent's VFS.
    func selectedNamespace() throws -> VFSNamespace {
        try fileSystem().namespace(namespace)
    }
}

/// `--json`.
struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false
}
