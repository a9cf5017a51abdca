import AgentRuntime
import FakeProvider
import Foundation
import Gateway
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import StateStore
import Synchronization
import Testing
@_exported import TestSupport

/// A live gateway on 127.0.0.1 (port 0) in this process, on a state directory in a temporary
/// directory, with the fake provider as agent `main`'s model (`fake/m1`).
struct GatewayFixture {
    static let providerKey = "sk-fixture-gateway-aaaa1111"

    let directory = TemporaryDirectory()
    let fake: FakeModelProvider
    let gateway: Gateway
    let token: String
    let url: String
    let port: Int
    private let server: Task<Void, any Error>
    private let group: ServiceGroupBox

    final class ServiceGroupBox: Sendable {
        let group = Mutex<ServiceGroup?>(nil)
    }

    var state: StateDirectory { gateway.host.state }

    init(configure: (inout GatewayConfiguration) -> Void = { _ in }) async throws {
        fake = try await FakeModelProvider.start()
        let state = StateDirectory(root: directory.path + "/state")
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .warning
        let host = try AgentHost(state: state, logger: logger, environment: RuntimeEnvironment(variables: ["FAKE_API_KEY": Self.providerKey]))
        let runtime = try await host.runtime(for: .main)
        try runtime.catalog.setProvider(try ModelProviderConfiguration(
            id: "fake", api: .openAICompletions, baseURL: fake.baseURL + "/v1", timeoutMilliseconds: 60_000, maxRetries: 0,
            models: [try ModelDescriptor(id: "m1", contextWindow: 8192, maxTokens: 512)]))
        try runtime.settings.setDefaultModel(ModelReference(provider: "fake", model: "m1"))
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configure(&configuration)
        let tokenValue = "test-token-" + UUID().uuidString
        let gatewayToken = try GatewayToken.load(state: state, environment: ["OPENCLAW_GATEWAY_TOKEN": tokenValue])
        gateway = Gateway(host: host, configuration: configuration, token: gatewayToken, logger: logger)
        token = tokenValue
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let box = ServiceGroupBox()
        group = box
        let server = GatewayServer(gateway: gateway)
        self.server = Task {
            try await server.run(signals: [], onListening: { _, port in
                portSink.yield(port)
                portSink.finish()
            }, onGroup: { group in box.group.withLock { $0 = group } })
        }
        var bound: Int?
        for await port in ports { bound = port }
        port = try #require(bound, "the gateway never listened")
        url = "ws://127.0.0.1:\(port)"
    }

    /// Drains and stops the gateway (as SIGTERM does) and the fake provider.
    func stop() async {
        if let group = group.group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
        _ = try? await server.value
        await fake.stop()
    }

    /// The gateway's plain HTTP address, `http://127.0.0.1:<port>`.
    var httpURL: String { "http://127.0.0.1:\(port)" }

    /// A `configure:` that turns the OpenAI-compatible endpoint on, then applies `more`.
    static func openAI(_ more: @escaping (inout GatewayConfiguration) -> Void = { _ in }) -> (inout GatewayConfiguration) -> Void {
        { configuration in
            configuration.openAIHTTP = true
            more(&configuration)
        }
    }

    static func with(configure: (inout GatewayConfiguration) -> Void = { _ in }, _ body: (GatewayFixture) async throws -> Void) async throws {
        let fixture = try await GatewayFixture(configure: configure)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    /// A connected client session (protocol 4 unless told otherwise).
    func connect<T: Sendable>(identity: GatewayClient.Identity = .init(), _ body: @escaping @Sendable (GatewaySession) async throws -> T) async throws -> T {
        try await GatewayClient.connect(url: url, token: token, identity: identity, body)
    }

    /// connect params with this fixture's token unless `token` says otherwise.
    func connectParams(token: String?? = .none, minProtocol: Int = 4, maxProtocol: Int = 4, scopes: [String] = ["operator.read", "operator.write"],
                       extra: [String: JSONValue] = [:]) -> JSONValue {
        var params: [String: JSONValue] = [
            "minProtocol": .int(minProtocol), "maxProtocol": .int(maxProtocol),
            "client": ["id": "test", "version": "1.0", "platform": "linux", "mode": "test"],
            "scopes": .array(scopes.map { .string($0) }),
        ]
        switch token {
        case .none: params["auth"] = ["token": .string(self.token)]
        case .some(nil): break
        case .some(let value?): params["auth"] = ["token": .string(value)]
        }
        for (key, value) in extra { params[key] = value }
        return .object(params)
    }
}

/// Set when a raw client's reader saw the end of the socket.
final class ReaderDone: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// Frames collected by a raw client, shared with its reader task.
final class CollectedFrames: Sendable {
    private let frames = Mutex<[(JSONValue, String)]>([])
    func append(_ frame: JSONValue, text: String = "") { frames.withLock { $0.append((frame, text)) } }
    var all: [JSONValue] { frames.withLock { $0.map(\.0) } }
    var texts: [String] { frames.withLock { $0.map(\.1) } }
}

/// What a raw WebSocket exchange saw: the frames received, and the close frame.
struct RawExchange: Sendable {
    var frames: [JSONValue]
    /// The frames as received.
    var texts: [String] = []
    var closeCode: Int?
    var closeReason: String?
}

/// Connects with a bare WebSocket client, sends `messages` in order (waiting for one frame
/// after each when `awaitReplies`), reads until the server closes or `readFor` passes.
func rawExchange(_ url: String, send messages: [WebSocketOutboundWriter.OutboundFrame], readFor: Duration = .seconds(5),
                 path: String = "/") async throws -> RawExchange {
    let frames = CollectedFrames()
    var logger = Logger(label: "test.raw")
    logger.logLevel = .critical
    let close = try await WebSocketClient.connect(url: url + path, configuration: .init(maxFrameSize: 32 << 20), logger: logger) { inbound, outbound, _ in
        let done = ReaderDone()
        let reader = Task {
            for try await message in inbound.messages(maxSize: 64 << 20) {
                if case .text(let text) = message, let frame = try? JSONValue.parse(text) { frames.append(frame, text: text) }
            }
            done.set()
        }
        for message in messages { try await outbound.write(message) }
        let deadline = ContinuousClock.now + readFor
        while ContinuousClock.now < deadline, !done.isSet {
            try await Task.sleep(for: .milliseconds(20))
        }
        // The reader must end before this handler does (the client library reads the inbound
        // stream afterwards): close, and wait for the server's answer for a while.
        if !done.isSet { try? await outbound.close(.normalClosure, reason: nil) }
        let stopper = Task {
            try? await Task.sleep(for: .seconds(2))
            reader.cancel()
        }
        _ = await reader.result
        stopper.cancel()
    }
    return RawExchange(frames: frames.all, texts: frames.texts, closeCode: close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }, closeReason: close?.reason)
}

extension WebSocketOutboundWriter.OutboundFrame {
    /// `{type:"req", id, method, params}` as a text frame.
    static func request(_ method: String, id: String = "1", params: JSONValue = [:]) -> WebSocketOutboundWriter.OutboundFrame {
        .text(JSONValue.object(["type": "req", "id": .string(id), "method": .string(method), "params": params]).jsonText)
    }
}

/// Collects events of `session` until `done` says so (throws after `timeout`).
func collectEvents(_ session: GatewaySession, timeout: Duration = .seconds(30),
                   until done: @escaping @Sendable ([GatewaySession.Event]) -> Bool) async throws -> [GatewaySession.Event] {
    try await session.collectEvents(timeout: timeout, until: done)
}

/// Reads the challenge, sends the `connect` that `params` builds from its nonce, and reads the
/// answer (and the close, if one follows within a second).
func deviceExchange(_ fixture: GatewayFixture, params: @escaping @Sendable (String) throws -> JSONValue) async throws -> RawExchange {
    let frames = CollectedFrames()
    var logger = Logger(label: "test.raw")
    logger.logLevel = .critical
    let close = try await WebSocketClient.connect(url: fixture.url, logger: logger) { inbound, outbound, _ in
        var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        guard case .text(let text)? = try await iterator.next(), let challenge = try? JSONValue.parse(text),
              let nonce = challenge["payload"]?["nonce"]?.stringValue else { return }
        frames.append(challenge)
        try await outbound.write(.text(JSONValue.object(["type": "req", "id": "c", "method": "connect", "params": try params(nonce)]).jsonText))
        if case .text(let reply)? = try await iterator.next(), let frame = try? JSONValue.parse(reply) { frames.append(frame) }
        if frames.all.last?["ok"] == true { try await outbound.close(.normalClosure, reason: nil) }
        while let _ = try? await iterator.next() {}
    }
    return RawExchange(frames: frames.all, closeCode: close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }, closeReason: close?.reason)
}
