import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import Replication
import StateStore

/// `openclaw agents adopt|release|where`: placing agents on the gateways of a replicated set.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Move agents between replicating gateways (adopt, release) and say where one is served.",
        discussion: """
            Each replicating gateway serves the agents whose leases it holds (PREFIX/leases/<agentId> in the \
            replica's bucket). `adopt` and `release` go through the gateway running on --state (they need it: it \
            holds and renews the leases); `where` reads the lease itself when no gateway runs.
            """,
        subcommands: [AgentsAdoptCommand.self, AgentsReleaseCommand.self, AgentsWhereCommand.self, AgentsDeleteCommand.self]
    )
}

/// The agent id argument, validated.
struct AgentArgument: ParsableArguments {
    @Argument(help: "The agent id.")
    var id: String

    func validate() throws {
        do { _ = try AgentID(id) } catch let error as StateError { throw ValidationError(error.message) }
    }
}

extension GatewayClientOptions {
    /// Calls the gateway running on --state; a clear failure when none runs.
    func callRunning(_ method: String, params: JSONValue, purpose: String) async throws -> JSONValue {
        if url == nil, GatewayDiscovery.read(in: stateOptions.directory()) == nil, ProcessInfo.processInfo.environment["OPENCLAW_GATEWAY_URL"] == nil {
            throw CLIFailure(message: "no gateway runs on \(stateOptions.directory().root): \(purpose) needs the gateway that holds the leases (start `openclaw gateway run`, or pass --url)")
        }
        return try await call(method, params: params)
    }
}

struct AgentsAdoptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Take an agent's lease, restore it from the replica and serve it on this state directory's gateway.",
        discussion: "Fails (exit 1, UNAVAILABLE AGENT_ELSEWHERE) while another gateway holds the lease; prints where."
    )

    @OptionGroup var agent: AgentArgument
    @OptionGroup var client: GatewayClientOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let payload = try await client.callRunning("agents.adopt", params: ["agentId": .string(agent.id)], purpose: "adopt")
        if output.json { return Output.line(payload.prettyText) }
        Output.line("adopted \(agent.id) (\(payload["source"]?.stringValue ?? "?"), \(Formatting.humanBytes(payload["bytes"]?.int64Value ?? 0)), \(payload["durationMs"]?.int64Value ?? 0) ms)")
    }
}

struct AgentsReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Hand an agent off: finish or abort its runs, replicate its last write, archive its files, release its lease.",
        discussion: "Its files move to <state>/archive/agents/<id>-<ms>; another gateway may then adopt it at once."
    )

    @OptionGroup var agent: AgentArgument
    @OptionGroup var client: GatewayClientOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let payload = try await client.callRunning("agents.release", params: ["agentId": .string(agent.id)], purpose: "release")
        if output.json { return Output.line(payload.prettyText) }
        Output.line("released \(agent.id) in \(payload["durationMs"]?.int64Value ?? 0) ms; its files are archived at \(payload["archive"]?.stringValue ?? "(none)")")
    }
}

struct AgentsWhereCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "where",
        abstract: "Print which gateway serves an agent (its lease's owner and URL), or that it is free."
    )

    @OptionGroup var agent: AgentArgument
    @OptionGroup var client: GatewayClientOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let state = client.stateOptions.directory()
        let payload: JSONValue
        if client.url != nil || GatewayDiscovery.read(in: state) != nil {
            payload = try await client.call("agents.where", params: ["agentId": .string(agent.id)])
        } else {
            let settings = try savedReplicaSettings(state)
            let store = LeaseStore(settings: settings, client: try mapped { try S3Client(settings: settings) })
            let lease: Lease?
            do { lease = try await store.read(agent.id)?.lease } catch { throw CLIFailure(replication: error) }
            payload = Gateway.whereAnswer(agent: agent.id, lease: lease, servedHere: false)
        }
        if output.json { return Output.line(payload.prettyText) }
        switch payload["state"]?.stringValue {
        case "held":
            Output.line("\(agent.id): served by \(payload["owner"]?.stringValue ?? "?")" + (payload["url"]?.stringValue.map { " at \($0)" } ?? "")
                        + (payload["servedHere"]?.boolValue == true ? " (this gateway)" : ""))
        case let state?:
            Output.line("\(agent.id): not served (lease \(state)); `openclaw agents adopt \(agent.id)` takes it")
        case nil:
            Output.line("\(agent.id): served here (no replication)")
        }
    }
}

struct AgentsDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an agent: stop it, archive its files under <state>/archive/agents, and when replicating delete its replica and lease.",
        discussion: "Through the running gateway when one is up (required when replicating); `main` cannot be deleted."
    )

    @OptionGroup var agent: AgentArgument
    @OptionGroup var client: GatewayClientOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        guard agent.id != AgentID.main.value else { throw CLIFailure(message: "the main agent cannot be deleted", status: ExitStatus.usage) }
        let state = client.stateOptions.directory()
        let payload: JSONValue
        if client.url != nil || GatewayDiscovery.read(in: state) != nil || FileManager.default.fileExists(atPath: ReplicaSettings.path(in: state)) {
            payload = try await client.callRunning("agents.delete", params: ["agentId": .string(agent.id)], purpose: "delete")
        } else {
            let id = try AgentID(agent.id)
            guard FileManager.default.fileExists(atPath: state.agentFolder(id)) else {
                throw CLIFailure(message: "agent '\(agent.id)' has no files in \(state.root)")
            }
            let global = try state.openGlobal()
            defer { try? global.close() }
            let archive = try state.archiveAgent(id, global: global)
            payload = ["ok": true, "agentId": .string(agent.id), "archive": .optional(archive), "replicaDeleted": false]
        }
        if output.json { return Output.line(payload.prettyText) }
        Output.line("deleted \(agent.id)" + (payload["replicaDeleted"]?.boolValue == true ? " and its replica" : "") + "; its files are archived at \(payload["archive"]?.stringValue ?? "(none)")")
    }
}
