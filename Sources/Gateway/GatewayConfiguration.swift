import Foundation

/// How a gateway listens and the limits it keeps.
public struct GatewayConfiguration: Sendable {
    /// The address to bind (`127.0.0.1` by default).
    public var host: String = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port: Int = 18789
    /// The largest message after `connect` (25 MiB).
    public var maxPayload: Int = 25 * 1024 * 1024
    /// The largest message before `connect` (64 KiB).
    public var maxPreConnectPayload: Int = 64 * 1024
    /// What may wait to be sent to one connection before it is closed as a slow consumer (50 MiB).
    public var maxBufferedBytes: Int = 50 * 1024 * 1024
    /// The period of `tick` events.
    public var tickInterval: Duration = .seconds(30)
    /// How long a new connection has to send `connect`.
    public var handshakeTimeout: Duration = .seconds(10)
    /// How long runs in flight may go on after a shutdown began, before they are aborted.
    public var drainTimeout: Duration = .seconds(10)
    /// The requests of one connection handled at once; more wait (the socket is not read meanwhile).
    public var maxRequestsPerConnection: Int = 64
    /// Runs in flight in the whole gateway; a `chat.send` or `agent` beyond it waits for one to
    /// end (first come, first served) before it starts and is acknowledged.
    public var maxRuns: Int = 1024
    /// Failed token checks from one peer address within ``authFailureWindow`` before its
    /// connects are refused (`AUTH_RATE_LIMITED`).
    public var maxAuthFailures: Int = 10
    /// The window of ``maxAuthFailures``.
    public var authFailureWindow: Duration = .seconds(60)
    /// Whether `POST /v1/chat/completions` and `GET /v1/models` are served.
    public var openAIHTTP: Bool = false
    /// The largest body of an OpenAI-compatible request (20 MiB); a larger one gets 413.
    public var openAIMaxBodyBytes: Int = 20 * 1024 * 1024
    /// The certificate and key (PEM files) to serve `wss://` and `https://` with; `nil`: plain.
    public var tls: GatewayTLSFiles?
    /// The version reported in `hello-ok.server.version`.
    public var serverVersion: String = "0.1.0"

    public init() {}

    var tickIntervalMilliseconds: Int { Int(tickInterval / .milliseconds(1)) }

    /// `ws` or `wss`.
    public var webSocketScheme: String { tls == nil ? "ws" : "wss" }
}

/// A TLS certificate chain and its private key, as PEM files.
public struct GatewayTLSFiles: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}
