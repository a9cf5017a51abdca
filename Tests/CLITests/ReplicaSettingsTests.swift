import Foundation
import Replication
import StateStore
import Testing
import TestSupport

/// Replication's input checks and request signing, without a store.
@Suite struct ReplicaSettingsTests {
    @Test func replicaURLsAreParsedAndBadOnesRefused() throws {
        let location = try ReplicaLocation("s3://my-bucket/team/prod/")
        #expect(location.bucket == "my-bucket")
        #expect(location.prefix == "team/prod")
        #expect(location.leaseKey("a1") == "team/prod/leases/a1")
        #expect(location.agentReplicaKey("a1") == "team/prod/agents/a1/agent/openclaw-agent.sqlite")
        #expect(try ReplicaLocation("s3://bucket").prefix == "")
        for bad in ["http://bucket/x", "s3://", "s3://UPPER/x", "s3://ab/x", "s3://bucket/a//b", "s3://bucket/../x", "s3://bucket/x?y", "s3://bucket/x\u{1}"] {
            #expect(throws: ReplicationError.self, "\(bad)") { try ReplicaLocation(bad) }
        }
        let location2 = try ReplicaLocation("s3://bucket/p")
        #expect(throws: ReplicationError.self) { try ReplicaSettings(replica: location2, hostID: "Bad Host") }
        #expect(throws: ReplicationError.self) { try ReplicaSettings(replica: location2, endpoint: "ftp://x", hostID: "h") }
        #expect(throws: ReplicationError.self) { try ReplicaSettings(replica: location2, endpoint: "http://host:9000/path", hostID: "h") }
        #expect(throws: ReplicationError.self) { try ReplicaSettings(replica: location2, hostID: "h", leaseSeconds: 1) }
        #expect(try ReplicaSettings(replica: location2, endpoint: "http://127.0.0.1:9000/", hostID: "h").endpoint == "http://127.0.0.1:9000")
    }

    @Test func settingsAreSavedWithoutCredentialsAndReadBack() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path + "/state")
        #expect(try ReplicaSettings.load(from: state) == nil)
        let settings = try ReplicaSettings(replica: ReplicaLocation("s3://bucket/p"), endpoint: "http://127.0.0.1:9000", hostID: "host-1", advertise: "ws://10.0.0.1:18789")
        try settings.save(to: state)
        #expect(try ReplicaSettings.load(from: state) == settings)
        let text = try String(contentsOfFile: ReplicaSettings.path(in: state), encoding: .utf8)
        #expect(!text.contains("AWS") && !text.lowercased().contains("secret"))
        // A replicated state directory checkpoints passively and creates no agent outside its gateway.
        let reopened = StateDirectory(root: directory.path + "/state")
        #expect(reopened.options.passiveCheckpoints)
        #expect(!reopened.createsAgents)
        #expect(throws: StateError.self) { try reopened.openAgent(try AgentID("stray"), components: []) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: ReplicaSettings.path(in: state)))
        #expect(throws: ReplicationError.self) { try ReplicaSettings.load(from: state) }
    }

    /// AWS's published Signature Version 4 examples for S3 (header-based authentication).
    @Test func requestsAreSignedAsAWSDocumentsIt() throws {
        let client = S3Client(bucket: "examplebucket", endpoint: nil, region: "us-east-1",
                              credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        let date = try #require(ISO8601DateFormatter().date(from: "2013-05-24T00:00:00Z"))
        let lifecycle = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/?lifecycle"))
        let signed = client.signedHeaders(method: "GET", url: lifecycle, body: Data(), date: date)
        let authorization = try #require(signed.first { $0.0 == "authorization" }?.1)
        #expect(authorization.hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"), "\(authorization)")
        #expect(authorization.contains("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date"))
        let listing = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"))
        let listed = try #require(client.signedHeaders(method: "GET", url: listing, body: Data(), date: date).first { $0.0 == "authorization" }?.1)
        #expect(listed.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"), "\(listed)")
    }

    @Test func gatewayRunRefusesBadReplicationOptionsAsUsageErrors() async throws {
        let directory = TemporaryDirectory()
        let cli = CLIRunner(state: directory.path + "/state")
        let bad = try await cli.runOff(["gateway", "run", "--port", "0", "--replica", "http://not-s3/x"])
        #expect(bad.status == 64 && bad.stderr.contains("s3://"), "\(bad.stderr)")
        let lonely = try await cli.runOff(["gateway", "run", "--port", "0", "--host-id", "h"])
        #expect(lonely.status == 64 && lonely.stderr.contains("--replica"), "\(lonely.stderr)")
        let noCredentials = try await cli.runOff(["gateway", "run", "--port", "0", "--replica", "s3://bucket/p", "--s3-endpoint", "http://127.0.0.1:1"],
                                                 environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        #expect(noCredentials.status != 0 && noCredentials.stderr.contains("AWS_ACCESS_KEY_ID"), "\(noCredentials.stderr)")
        let rollback = try await cli.runOff(["gateway", "run", "--port", "0", "--replica", "s3://bucket/p", "--s3-endpoint", "http://127.0.0.1:1"],
                                            environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "OPENCLAW_SQLITE_JOURNAL": "rollback"])
        #expect(rollback.status == 1 && rollback.stderr.contains("Litestream needs the WAL journal"), "\(rollback.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/state/replication.json"), "nothing is saved by a start that failed")
        let unconfigured = try await cli.runOff(["replica", "status"])
        #expect(unconfigured.status == 64 && unconfigured.stderr.contains("not configured"), "\(unconfigured.stderr)")
        let noGateway = try await cli.runOff(["agents", "adopt", "a1"])
        #expect(noGateway.status == 1 && noGateway.stderr.contains("no gateway runs"), "\(noGateway.stderr)")
        let badID = try await cli.runOff(["agents", "where", "Not An Id"])
        #expect(badID.status == 64, "\(badID.stderr)")
    }
}
