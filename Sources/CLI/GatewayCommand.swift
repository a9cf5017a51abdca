import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import Logging
import NIOSSL
import StateStore

/// `openclaw gateway ...`: the long-running server, and calls to it.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the gateway (OpenClaw's protocol over WebSocket on one port), or call one.",
        subcommands: [GatewayRunCommand.self, GatewayStatusCommand.self, GatewayHealthCommand.self, GatewayCallCommand.self, GatewayTokenCommand.self]
    )
}

/// Where a client finds the gateway and its token.
struct GatewayClientOptions: ParsableArguments {
    @OptionGroup var stateOptions: StateOptions

    @Option(name: .long, help: ArgumentHelp("The gateway's URL (default: the one running for --state, else $OPENCLAW_GATEWAY_URL, else ws://127.0.0.1:18789).", valueName: "url"))
    var url: String?

    @Option(name: .long, help: ArgumentHelp("The token (default $OPENCLAW_GATEWAY_TOKEN, else the one stored in the state directory).", valueName: "token"))
    var token: String?

    @Option(name: .long, help: ArgumentHelp("A PEM certificate to trust for a wss:// gateway (default: the running gateway's own, else the system's roots).", valueName: "file"))
    var tlsCa: String?

    /// The TLS configuration for `url`: `nil` for ws://.
    func resolvedTLS(for url: String) throws -> TLSConfiguration? {
        guard url.hasPrefix("wss://") else { return nil }
        if let tlsCa { return try GatewayTLSFiles(certificatePath: tlsCa, keyPath: "").clientConfiguration() }
        if let running = GatewayDiscovery.read(in: stateOptions.directory()), running.url == url, let tls = try running.clientTLS() { return tls }
        return TLSConfiguration.makeClientConfiguration()
    }

    func resolvedURL() -> String {
        if let url { return url }
        if let running = GatewayDiscovery.read(in: stateOptions.directory()) { return running.url }
        return ProcessInfo.processInfo.environment["OPENCLAW_GATEWAY_URL"] ?? "ws://127.0.0.1:18789"
    }

    func resolvedToken() throws -> String {
        if let token { return token }
        guard let stored = try GatewayToken.existing(state: stateOptions.directory()) else {
            throw CLIFailure(message: "no gateway token: set OPENCLAW_GATEWAY_TOKEN or pass --token (a gateway stores one in its state directory when it first starts)")
        }
        return stored.value
    }

    /// Calls `method` and prints the payload as JSON; a gateway error exits 1 with its code.
    func call(_ method: String, params: JSONValue, expectFinal: Bool = false) async throws -> JSONValue {
        let url = resolvedURL()
        let token = try resolvedToken()
        do {
            return try await GatewayClient.connect(url: url, token: token, tls: try resolvedTLS(for: url)) { session in
                try await session.call(method, params: params, expectFinal: expectFinal)
            }
        } catch let error as GatewayError {
            throw CLIFailure(message: "\(error.code.rawValue): \(error.message)" + (error.details["code"]?.stringValue.map { " (\($0))" } ?? ""))
        } catch let error as GatewayClientError {
            throw CLIFailure(message: error.message)
        }
    }
}

struct GatewayRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve the state directory's agents until SIGTERM or SIGINT.",
        discussion: """
            Prints `gateway listening on ws://HOST:PORT` on standard output when ready (--port 0 picks a free port; \
            wss:// with --tls-cert and --tls-key, which serve the whole port over TLS). \
            On SIGTERM or SIGINT it stops taking connections and runs, sends `shutdown` to every client, lets runs in \
            flight finish for up to --drain-timeout seconds, aborts the rest (their transcripts say so), closes every \
            socket with 1012 and exits 0. Clients authenticate with the token: $OPENCLAW_GATEWAY_TOKEN, else one \
            generated on first start and stored 0600 in the state directory (`openclaw gateway token` prints it). \
            With --openai-http the same port also serves OpenAI's chat completions API (POST /v1/chat/completions, \
            GET /v1/models) to clients that send the token as `Authorization: Bearer <token>`; point an OpenAI \
            client's base URL at http://HOST:PORT/v1 and use the model `openclaw` or `openclaw/<agentId>`.
            """
    )

    enum Bind: String, ExpressibleByArgument, CaseIterable {
        case loopback, lan, custom
    }

    @OptionGroup var stateOptions: StateOptions

    @Option(name: .long, help: ArgumentHelp("The port (default $OPENCLAW_GATEWAY_PORT, else 18789; 0 picks a free one).", valueName: "port"))
    var port: Int?

    @Option(name: .long, help: "Where to listen: loopback (127.0.0.1), lan (every interface) or custom (--host).")
    var bind: Bind = .loopback

    @Option(name: .long, help: ArgumentHelp("The address to bind with --bind custom.", valueName: "addr"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("Seconds runs in flight may go on after SIGTERM before they are aborted (default 10).", valueName: "seconds"))
    var drainTimeout: Double = 10

    @Option(name: .long, help: ArgumentHelp("The period of `tick` events in milliseconds (default 30000).", valueName: "ms"))
    var tickIntervalMs: Int = 30_000

    @Flag(name: .long, help: "Also serve the OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models) on the same port.")
    var openaiHttp = false

    @Option(name: .long, help: ArgumentHelp("A PEM certificate (chain) to serve wss:// and https:// with (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @OptionGroup var replica: ReplicaOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if bind == .custom, host == nil { throw ValidationError("--bind custom needs --host ADDR") }
        if bind != .custom, host != nil { throw ValidationError("--host is only for --bind custom") }
        if !(0...3600).contains(drainTimeout) { throw ValidationError("--drain-timeout must be between 0 and 3600 seconds") }
        if !(100...3_600_000).contains(tickIntervalMs) { throw ValidationError("--tick-interval-ms must be between 100 and 3600000") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func resolvedPort() throws -> Int {
        if let port { return port }
        guard let text = ProcessInfo.processInfo.environment["OPENCLAW_GATEWAY_PORT"], !text.isEmpty else { return 18789 }
        guard let value = Int(text), (0...65535).contains(value) else {
            throw CLIFailure(message: "OPENCLAW_GATEWAY_PORT=\(text) is not a port (0 to 65535)", status: ExitStatus.usage)
        }
        return value
    }

    func run() async throws {
        let state = stateOptions.directory()
        if let running = GatewayDiscovery.read(in: state) {
            throw CLIFailure(message: "a gateway (pid \(running.pid)) already serves \(state.root) at \(running.url)")
        }
        var configuration = GatewayConfiguration()
        configuration.port = try resolvedPort()
        configuration.host = switch bind {
        case .loopback: "127.0.0.1"
        case .lan: "0.0.0.0"
        case .custom: host ?? "127.0.0.1"
        }
        configuration.drainTimeout = .milliseconds(Int(drainTimeout * 1000))
        configuration.tickInterval = .milliseconds(tickIntervalMs)
        configuration.openAIHTTP = openaiHttp
        if let tlsCert, let tlsKey {
            let absolute = { (path: String) in path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }
            configuration.tls = GatewayTLSFiles(certificatePath: absolute(tlsCert), keyPath: absolute(tlsKey))
        }
        configuration.serverVersion = OpenClaw.configuration.version
        let token: GatewayToken
        do { token = try GatewayToken.load(state: state) } catch let error as GatewayError { throw CLIFailure(message: error.message) }
        if bind != .loopback, configuration.tls == nil {
            Output.error("openclaw: warning: listening on \(configuration.host) without TLS: the token crosses the network in clear")
        }
        var logger = Logger(label: "openclaw.gateway")
        logger.logLevel = ProcessInfo.processInfo.environment["OPENCLAW_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        let replication = try replica.replication(state: state, logger: logger)
        // Replicating, the state is opened again: the settings just saved make its databases checkpoint
        // passively, and the gateway alone creates agents (when it adopts them).
        let host = try await AgentHost.open(state: replication == nil ? state : StateDirectory(root: state.root, createsAgents: true), logger: logger)
        let serverLogger = logger
        let (scheme, certificate) = (configuration.webSocketScheme, configuration.tls?.certificatePath)
        let gateway = Gateway(host: host, configuration: configuration, token: token, logger: logger, replication: replication)
        defer { GatewayDiscovery.remove(in: state) }
        do {
            try await GatewayServer(gateway: gateway).run { boundHost, boundPort in
                let url = "\(scheme)://\(boundHost.contains(":") ? "[\(boundHost)]" : boundHost):\(boundPort)"
                do {
                    try GatewayDiscovery(pid: getpid(), url: url, host: boundHost, port: boundPort, startedAt: RuntimeClock.milliseconds(),
                                         tlsCertificate: certificate).write(in: state)
                } catch {
                    serverLogger.warning("cannot write the discovery file", metadata: ["error": .string("\(error)")])
                }
                replication?.placement.advertise(url)
                Output.line("gateway listening on \(url)")
            }
        } catch {
            await gateway.shutdown()
            throw CLIFailure(message: "the gateway stopped: \(error)")
        }
    }
}

struct GatewayStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Whether a gateway runs for the state directory, and its connections and runs (exit 1 when none answers)."
    )

    @OptionGroup var client: GatewayClientOptions
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let payload = try await client.call("status", params: [:])
        if output.json {
            Output.line(payload.prettyText)
            return
        }
        Output.line("gateway at \(client.resolvedURL()): up \((payload["uptimeMs"]?.int64Value ?? 0) / 1000) s, "
                    + "\(payload["connections"]?.intValue ?? 0) connection(s), \(payload["runs"]?["active"]?.intValue ?? 0) run(s) in flight"
                    + (payload["draining"]?.boolValue == true ? ", draining" : ""))
        if let replication = payload["replication"] {
            Output.line("replicating to \(replication["replica"]?.stringValue ?? "?") as \(replication["hostId"]?.stringValue ?? "?"): "
                        + "\(replication["agents"]?.arrayValue?.count ?? 0) agent(s) held, litestream pid \(replication["litestream"]?["pid"]?.intValue ?? 0) "
                        + "(started \(replication["litestream"]?["starts"]?.intValue ?? 0) time(s))")
        }
    }
}

struct GatewayHealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "The gateway's `health` answer as JSON (exit 1 when none answers)."
    )

    @OptionGroup var client: GatewayClientOptions

    func run() async throws {
        Output.line(try await client.call("health", params: [:]).prettyText)
    }
}

struct GatewayCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call one gateway method and print its payload as JSON.",
        discussion: "An error answer prints `openclaw: CODE: message (DETAIL_CODE)` on standard error and exits 1."
    )

    @Argument(help: "The method, like sessions.list or chat.history.")
    var method: String

    @Option(name: .long, help: ArgumentHelp("The params, a JSON object (default {}).", valueName: "json"))
    var params: String = "{}"

    @Flag(name: .long, help: "Wait for the second response of a two-phase method (agent).")
    var expectFinal = false

    @OptionGroup var client: GatewayClientOptions

    func run() async throws {
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(params) } catch { throw ValidationError("--params is not JSON: \(error)") }
        guard parsed.objectValue != nil else { throw ValidationError("--params must be a JSON object") }
        Output.line(try await client.call(method, params: parsed, expectFinal: expectFinal).prettyText)
    }
}

struct GatewayTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print the gateway token of the state directory (generating and storing it, 0600, if none exists)."
    )

    @OptionGroup var stateOptions: StateOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let token: GatewayToken
        do { token = try GatewayToken.load(state: stateOptions.directory()) } catch let error as GatewayError { throw CLIFailure(message: error.message) }
        if output.json {
            Output.line(JSONValue.object(["token": .string(token.value), "source": .string(token.source.rawValue)]).prettyText)
        } else {
            Output.line(token.value)
        }
    }
}
