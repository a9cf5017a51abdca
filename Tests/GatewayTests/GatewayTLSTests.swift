import AgentRuntime
import AsyncHTTPClient
import Foundation
@testable import Gateway
import Logging
import NIOSSL
import StateStore
import Subprocess
import Testing

/// `--tls-cert`/`--tls-key`: the port serves wss:// and https:// only.
@Suite struct GatewayTLSTests {
    /// A self-signed certificate for 127.0.0.1, made by openssl.
    static func certificate(in directory: String) async throws -> GatewayTLSFiles {
        let files = GatewayTLSFiles(certificatePath: directory + "/cert.pem", keyPath: directory + "/key.pem")
        let made = try await Subprocess.run(.name("openssl"), arguments: [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.keyPath, "-out", files.certificatePath, "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ], output: .discarded, error: .string(limit: 1 << 16))
        try #require(made.terminationStatus.isSuccess, "openssl failed: \(made.standardError)")
        return files
    }

    @Test func aCertificateServesWSSAndHTTPSOnly() async throws {
        let directory = TemporaryDirectory()
        let files = try await Self.certificate(in: directory.path)
        try await GatewayFixture.with(configure: { $0.tls = files }) { fixture in
            let secure = "wss://127.0.0.1:\(fixture.port)"
            let tls = try files.clientConfiguration()
            let health = try await GatewayClient.connect(url: secure, token: fixture.token, tls: tls) { session in try await session.call("health") }
            #expect(health["ok"] == true)

            await #expect(throws: (any Error).self, "plain ws:// is not served on a TLS port") {
                try await GatewayClient.connect(url: fixture.url, token: fixture.token, handshakeTimeout: .seconds(2)) { session in try await session.call("health") }
            }
            await #expect(throws: (any Error).self, "an untrusted certificate is refused by a verifying client") {
                try await GatewayClient.connect(url: secure, token: fixture.token, tls: .makeClientConfiguration()) { session in try await session.call("health") }
            }

            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let response = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(fixture.port)/health"), timeout: .seconds(10))
            #expect(response.status == .ok)
            try await client.shutdown()
        }
    }

    @Test func anUnreadableCertificateStopsTheStartWithItsPath() async throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path + "/state")
        let host = try AgentHost(state: state, environment: RuntimeEnvironment(variables: [:]))
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.tls = GatewayTLSFiles(certificatePath: directory.path + "/missing.pem", keyPath: directory.path + "/missing.key")
        let gateway = Gateway(host: host, configuration: configuration, token: try GatewayToken.load(state: state, environment: ["OPENCLAW_GATEWAY_TOKEN": "t"]),
                              logger: Logger(label: "test"))
        do {
            try await GatewayServer(gateway: gateway).run(signals: [], onListening: { _, _ in })
            Issue.record("the gateway started without its certificate")
        } catch let error as GatewayError {
            #expect(error.message.contains("missing.pem"))
        }
        await host.shutdown()
    }
}
