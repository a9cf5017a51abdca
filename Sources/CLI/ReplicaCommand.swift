import ArgumentParser
import Foundation
import GRDB
import Replication
import StateStore
import Storage

/// `openclaw replica status|restore`.
struct ReplicaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica",
        abstract: "The replicas of a replicating state directory: how far behind they are, and point-in-time restores.",
        subcommands: [ReplicaStatusCommand.self, ReplicaRestoreCommand.self]
    )
}

struct ReplicaStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per agent: the last transaction captured here and in the replica, the lag, and the lease's owner.",
        discussion: "Lists the agents registered here and every agent with a lease in the bucket. Reads the object store with the AWS variables of the environment."
    )

    @OptionGroup var stateOptions: StateOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let state = stateOptions.directory()
        let settings = try savedReplicaSettings(state)
        let litestream = try mapped { try Litestream(settings: settings) }
        let client = try mapped { try S3Client(settings: settings) }
        let leases = LeaseStore(settings: settings, client: client)
        let configuration = LitestreamConfiguration(settings: settings, state: state)
        var agents = Set(try state.registeredAgents().map(\.agent.value))
        do {
            for (key, _) in try await client.list(prefix: settings.replica.key("leases/")) {
                if let name = key.split(separator: "/").last { agents.insert(String(name)) }
            }
        } catch { throw CLIFailure(replication: error) }
        var positions: [ReplicaPosition] = []
        let now = SystemClock.milliseconds()
        for agent in agents.sorted() {
            do {
                let lease = try await leases.read(agent)?.lease
                let replica = ReplicaPosition.replicaSide(try await litestream.ltxFiles(settings: settings, key: settings.replica.agentReplicaKey(agent)))
                let local = ReplicaPosition.localTXIDs(agent: agent, configuration: configuration)
                let localTXID = local.last?.txid
                let pending = local.filter { $0.txid > (replica.txid ?? 0) }
                let leaseState = lease.map { $0.isLive(at: now) ? "held" : ($0.expiresAt == 0 ? "released" : "expired") } ?? "free"
                positions.append(ReplicaPosition(
                    agent: agent, localTXID: localTXID, replicaTXID: replica.txid, lastReplicatedAt: replica.at,
                    lagTransactions: localTXID.map { max(0, $0 - (replica.txid ?? 0)) },
                    lagMilliseconds: localTXID == nil ? nil : pending.first.map { max(0, now - Int64($0.modified.timeIntervalSince1970 * 1000)) } ?? 0,
                    owner: lease?.owner, leaseState: leaseState, leaseExpiresAt: lease?.expiresAt))
            } catch { throw CLIFailure(replication: error) }
        }
        if output.json { return Output.line(try JSONText.render(encoding: positions)) }
        Output.line("replica \(settings.replica) (host \(settings.hostID))")
        Output.line(["AGENT", "LEASE", "OWNER", "LOCAL", "REPLICA", "LAG", "LAST REPLICATED"].joined(separator: "\t"))
        for position in positions {
            let lag = position.lagTransactions.map { "\($0) tx / \(position.lagMilliseconds ?? 0) ms" } ?? "-"
            Output.line([position.agent, position.leaseState, position.owner ?? "-", position.localTXID.map(String.init) ?? "-",
                         position.replicaTXID.map(String.init) ?? "-", lag, position.lastReplicatedAt ?? "-"].joined(separator: "\t"))
        }
    }
}

struct ReplicaRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore an agent's database from the replica, as it was at a chosen time, into a new file, verified with integrity_check.",
        discussion: "The file is the agent's database (read it with `sqlite3`, or point a copy of a state directory at it). Exit 65 when the restored file fails its integrity check."
    )

    @OptionGroup var agent: AgentArgument
    @OptionGroup var stateOptions: StateOptions

    @Option(name: .long, help: ArgumentHelp("The time to restore to: ISO 8601 (2026-12-06T21:30:00Z) or Unix seconds (default: the latest).", valueName: "time"))
    var timestamp: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write (must not exist).", valueName: "file"))
    var output: String

    @OptionGroup var json: JSONFlag

    func parsedTimestamp() throws -> Date? {
        guard let timestamp else { return nil }
        if let seconds = Double(timestamp) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: timestamp) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        if let date = formatter.date(from: timestamp) { return date }
        throw ValidationError("--timestamp \(timestamp.debugDescription) is neither ISO 8601 (2026-12-06T21:30:00Z) nor Unix seconds")
    }

    func validate() throws {
        _ = try parsedTimestamp()
        if FileManager.default.fileExists(atPath: output) { throw ValidationError("--output \(output) exists; choose a new file") }
    }

    func run() async throws {
        let state = stateOptions.directory()
        let settings = try savedReplicaSettings(state)
        let litestream = try mapped { try Litestream(settings: settings) }
        let started = ContinuousClock.now
        let restored: Bool
        let time = try parsedTimestamp()
        do {
            restored = try await litestream.restore(settings: settings, key: settings.replica.agentReplicaKey(agent.id), to: output, timestamp: time)
        } catch { throw CLIFailure(replication: error) }
        guard restored else {
            throw CLIFailure(message: "the replica holds no copy of agent \(agent.id)" + (timestamp.map { " at \($0)" } ?? "") + " (under \(settings.replica))")
        }
        let messages: [String]
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: output, configuration: configuration)
            messages = try await queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            try queue.close()
        } catch {
            throw CLIFailure(message: "the restored file \(output) cannot be read: \(error)", status: ExitStatus.unusableState)
        }
        guard messages == ["ok"] else {
            throw CLIFailure(message: "the restored file \(output) fails its integrity check: \(messages.prefix(3).joined(separator: "; "))", status: ExitStatus.unusableState)
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? NSNumber)?.int64Value ?? 0
        let milliseconds = Int64((ContinuousClock.now - started) / .milliseconds(1))
        if json.json {
            return Output.line(JSONText.render(["agentId": agent.id, "output": output, "bytes": size, "integrity": "ok", "durationMs": milliseconds,
                                                "timestamp": timestamp ?? NSNull()] as [String: Any]))
        }
        Output.line("restored \(agent.id) to \(output) (\(Formatting.humanBytes(size)), integrity ok, \(milliseconds) ms)")
    }
}
