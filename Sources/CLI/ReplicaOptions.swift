import ArgumentParser
import Foundation
import Gateway
import Logging
import Replication
import StateStore

/// `gateway run`'s replication options, kept in the state directory once given.
struct ReplicaOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Replicate every agent database to s3://BUCKET/PREFIX with Litestream and place agents by leases (default $OPENCLAW_REPLICA, else the saved setting).", valueName: "url"))
    var replica: String?

    @Option(name: .customLong("s3-endpoint"), help: ArgumentHelp("An S3-compatible endpoint, like http://127.0.0.1:9000 (default $OPENCLAW_S3_ENDPOINT; AWS when unset).", valueName: "url"))
    var s3Endpoint: String?

    @Option(name: .customLong("host-id"), help: ArgumentHelp("This gateway's id in leases (default $OPENCLAW_HOST_ID, else from the machine's name).", valueName: "id"))
    var hostId: String?

    @Option(name: .long, help: ArgumentHelp("The URL other gateways send clients to for agents served here (default $OPENCLAW_ADVERTISE, else the URL listened on).", valueName: "url"))
    var advertise: String?

    @Option(name: .customLong("lease-seconds"), help: ArgumentHelp("How long a lease lasts without renewal, 3 to 600 (default $OPENCLAW_LEASE_SECONDS, else 15).", valueName: "seconds"))
    var leaseSeconds: Double?

    /// The settings given here or by the environment, over the state directory's saved ones; else
    /// the saved ones; `nil` when replication is not configured.
    func resolvedSettings(state: StateDirectory, saved: ReplicaSettings?,
                          environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ReplicaSettings? {
        func pick(_ value: String?, _ variable: String) -> String? { value ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } }
        guard let url = pick(replica, "OPENCLAW_REPLICA") else {
            guard s3Endpoint == nil, hostId == nil, advertise == nil, leaseSeconds == nil || saved != nil else {
                throw CLIFailure(message: "--s3-endpoint, --host-id, --advertise and --lease-seconds need --replica s3://BUCKET/PREFIX", status: ExitStatus.usage)
            }
            guard var saved else { return nil }
            if let seconds = leaseSeconds { saved.leaseSeconds = seconds }
            return saved
        }
        let lease = try leaseSeconds ?? environment["OPENCLAW_LEASE_SECONDS"].map { text in
            guard let value = Double(text) else { throw CLIFailure(message: "OPENCLAW_LEASE_SECONDS=\(text) is not a number of seconds", status: ExitStatus.usage) }
            return value
        } ?? saved?.leaseSeconds ?? ReplicaSettings.defaultLeaseSeconds
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? saved?.region ?? "us-east-1"
        let settings = try mapped {
            try ReplicaSettings(replica: ReplicaLocation(url), endpoint: pick(s3Endpoint, "OPENCLAW_S3_ENDPOINT") ?? saved?.endpoint, region: region,
                                hostID: pick(hostId, "OPENCLAW_HOST_ID") ?? saved?.hostID ?? ReplicaSettings.defaultHostID(),
                                advertise: pick(advertise, "OPENCLAW_ADVERTISE") ?? saved?.advertise, leaseSeconds: lease)
        }
        return settings
    }

    /// The gateway's replication for these settings, or `nil` without replication.
    /// Saves the settings once everything they need (credentials, Litestream, the filesystem) is there.
    func replication(state: StateDirectory, logger: Logger) throws -> GatewayReplication? {
        let saved = try mapped { try ReplicaSettings.load(from: state) }
        guard let settings = try resolvedSettings(state: state, saved: saved) else { return nil }
        let replication = try mapped { try GatewayReplication(settings: settings, state: state, logger: logger) }
        if settings != saved { try mapped { try settings.save(to: state) } }
        return replication
    }
}

/// Runs `body`, turning a ``ReplicationError`` into the CLI's failure (usage errors exit 64).
func mapped<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ReplicationError {
        throw CLIFailure(replication: error)
    }
}

extension CLIFailure {
    init(replication error: ReplicationError) {
        let status = error.code == .invalidSettings ? ExitStatus.usage : ExitStatus.failure
        self.init(message: error.message + (error.hint.map { " (\($0))" } ?? ""), status: status)
    }
}

/// The saved replication settings of a state directory, for the `agents` and `replica` commands.
func savedReplicaSettings(_ state: StateDirectory) throws -> ReplicaSettings {
    guard let settings = try mapped({ try ReplicaSettings.load(from: state) }) else {
        throw CLIFailure(message: "replication is not configured for \(state.root) (start its gateway once with `openclaw gateway run --replica s3://BUCKET/PREFIX`)",
                         status: ExitStatus.usage)
    }
    return settings
}
