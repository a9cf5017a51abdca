import Foundation
import Logging
import Replication
import StateStore
import Storage

/// What a replicating gateway runs beside its server: the Litestream daemon of its state
/// directory and the leases of the agents it serves.
public struct GatewayReplication: Sendable {
    public let settings: ReplicaSettings
    public let litestream: Litestream
    public let daemon: LitestreamService
    public let placement: AgentPlacement

    /// Everything for `settings` on `state`, with credentials from `environment`.
    /// - throws: ``ReplicationError`` when the binary or the credentials are missing, or the state
    ///   directory is on a filesystem that needs a rollback journal (Litestream needs WAL).
    public init(settings: ReplicaSettings, state: StateDirectory, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(ReplicationError) {
        let journal = JournalPolicy.detect(forDirectory: FileManager.default.fileExists(atPath: state.root) ? state.root : (state.root as NSString).deletingLastPathComponent,
                                           environment: environment)
        if journal.policy == .rollback {
            let reason = journal.reason
            throw ReplicationError(.unsupportedFilesystem, "cannot replicate \(state.root): \(reason); Litestream needs the WAL journal",
                                   hint: "put the state directory on a local filesystem (ext4, xfs, btrfs, tmpfs)")
        }
        self.settings = settings
        self.litestream = try Litestream(settings: settings, environment: environment)
        self.daemon = LitestreamService(configuration: LitestreamConfiguration(settings: settings, state: state), litestream: litestream, logger: logger)
        let client = try S3Client(settings: settings, environment: environment)
        self.placement = AgentPlacement(leases: LeaseStore(settings: settings, client: client), logger: logger)
    }
}
