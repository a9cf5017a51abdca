import AgentRuntime
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The gateway's services in one `ServiceGroup`: the Hummingbird server (WebSocket upgrades on any
/// path, `GET /health` and `GET /readyz` over plain HTTP, and with
/// ``GatewayConfiguration/openAIHTTP`` the OpenAI-compatible routes: see ``OpenAIRoutes``) and
/// the gateway's own lifecycle (the `tick` events, and on shutdown the drain: see
/// ``Gateway/shutdown(reason:)``).
///
/// The lifecycle service is last in the group, so a graceful shutdown drains the gateway (its
/// clients told, its runs finished or aborted, its sockets closed 1012) before the server stops.
public struct GatewayServer: Sendable {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// Runs until a graceful shutdown (one of `signals`, or the group's trigger) ends it.
    /// `onListening` is called once with the bound host and port (port 0 picks one).
    ///
    /// With replication it first takes back the leases of the agents registered here (a restart),
    /// and runs the lease renewals and the Litestream daemon as services beside the server.
    /// Then it ends the runs a killed process left in flight (``AgentHost/recoverInterruptedRuns()``),
    /// so their transcripts say `interrupted` and their sessions take new runs.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (String, Int) async -> Void,
                    onGroup: @Sendable (ServiceGroup) -> Void = { _ in }) async throws {
        await gateway.resumePlacedAgents()
        await gateway.recoverInterruptedRuns()
        var services: [any Service] = []
        if let replication = gateway.replication {
            // First in, last out: the leases are released after Litestream synced, which is after
            // the gateway drained and closed its databases.
            services += [replication.placement, replication.daemon] as [any Service]
        }
        services += [try application(onListening: onListening), GatewayLifecycle(gateway: gateway)] as [any Service]
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: signals, logger: gateway.logger))
        onGroup(group)
        try await group.run()
    }

    func application(onListening: @escaping @Sendable (String, Int) async -> Void) throws -> some Service {
        let gateway = self.gateway
        let configuration = gateway.configuration
        let router = Router(context: GatewayRequestContext.self)
        // First, so that it also wraps the not-found answer.
        router.add(middleware: OpenAINotFoundMiddleware(enabled: configuration.openAIHTTP))
        router.get("/health") { _, _ in Self.json(["ok": true, "status": "live"]) }
        router.get("/healthz") { _, _ in Self.json(["ok": true, "status": "live"]) }
        router.get("/readyz") { _, _ in
            gateway.isDraining ? Self.json(["ok": false, "status": "draining"], status: .serviceUnavailable) : Self.json(["ok": true, "status": "ready"])
        }
        if configuration.openAIHTTP { OpenAIRoutes(gateway: gateway).register(on: router) }
        // Frames up to maxPayload (a message may also come in fragments up to that size); no
        // compression (OpenClaw's frames are plain text).
        let webSocket = WebSocketServerConfiguration(maxFrameSize: configuration.maxPayload)
        let plain = HTTPServerBuilder.http1WebSocketUpgrade(configuration: HTTP1WebSocketUpgradeChannel.Configuration(ws: webSocket)) { _, channel, _ in
            .upgrade([:]) { inbound, outbound, _ in
                await gateway.serve(inbound: inbound, outbound: outbound, channel: channel)
            }
        }
        // With a certificate, the same port serves wss:// and https:// only.
        let server = try configuration.tls.map { try HTTPServerBuilder.tls(plain, tlsConfiguration: try $0.serverConfiguration()) } ?? plain
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "openclaw-gateway"),
            onServerRunning: { channel in
                await onListening(configuration.host, channel.localAddress?.port ?? configuration.port)
            },
            logger: gateway.logger
        )
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}

/// The gateway's lifecycle as a service: ticks while running, the drain on graceful shutdown.
struct GatewayLifecycle: Service {
    let gateway: Gateway

    func run() async throws {
        let ticker = Task { await gateway.tick() }
        try? await gracefulShutdown()
        ticker.cancel()
        await gateway.shutdown()
    }
}
