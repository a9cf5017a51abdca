import AgentRuntime
import Foundation
import Gateway
import Replication
import Testing
import TestSupport

/// An S3-compatible object store on loopback: moto's server, started for one test and stopped
/// after it. A test that cannot start it fails (moto comes from PyPI through the bootstrap).
final class ObjectStore: Sendable {
    let process: RunningCLI
    let endpoint: String
    let port: Int
    static let bucket = "openclaw-test"
    static let environment = ["AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_REGION": "us-east-1"]

    private init(process: RunningCLI, port: Int) {
        self.process = process
        self.port = port
        self.endpoint = "http://127.0.0.1:\(port)"
    }

    /// Starts a store, runs `body` with it, stops it.
    static func with(_ body: (ObjectStore) async throws -> Void) async throws {
        let store = try await start()
        do {
            try await body(store)
        } catch {
            await store.stop()
            throw error
        }
        await store.stop()
    }

    static func start() async throws -> ObjectStore {
        let port = try freePort()
        let process = try RunningCLI(executable: "/usr/bin/env", arguments: ["moto_server", "-H", "127.0.0.1", "-p", String(port)], environment: [:])
        let store = ObjectStore(process: process, port: port)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await store.client().createBucket()) != nil { return store }
            try #require(process.isRunning, "moto_server did not start (install it: pip install 'moto[server]'): \(process.errors)")
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("moto_server did not answer on port \(port) within 30 s: \(process.errors)")
        throw CancellationError()
    }

    func client() -> S3Client {
        S3Client(bucket: Self.bucket, endpoint: endpoint, region: "us-east-1",
                 credentials: S3Credentials(accessKeyID: "test-access-key", secretAccessKey: "test-secret-key"))
    }

    func stop() async {
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(5))
    }

    /// A port nobody listens on now (bound, read back and closed).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        try #require(bound, "cannot find a free port: \(String(cString: strerror(errno)))")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A TCP relay to the object store that a test can cut (SIGKILL): the store is then unreachable
/// for whoever was given the relay's endpoint.
final class Relay: Sendable {
    let process: RunningCLI
    let endpoint: String

    static let script = """
        import socket, sys, threading
        listen, target = int(sys.argv[1]), int(sys.argv[2])
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", listen))
        server.listen(128)
        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        print("relay ready", flush=True)
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", target))
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        """

    init(to store: ObjectStore, directory: String) async throws {
        let path = directory + "/relay.py"
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: path))
        let port = try ObjectStore.freePort()
        process = try RunningCLI(executable: "/usr/bin/env", arguments: ["python3", path, String(port), String(store.port)], environment: [:])
        endpoint = "http://127.0.0.1:\(port)"
        let ready = await process.waitForOutput(containing: "relay ready", timeout: .seconds(10))
        try #require(ready, "the relay did not start: \(process.errors)")
    }

    func cut() async {
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(5))
    }
}

/// A replicating `openclaw gateway run` process on its own state directory.
struct ReplicatedGateway: Sendable {
    let process: RunningCLI
    let url: String
    let state: String
    let hostID: String
    static let token = "replication-test-token"
    static let leaseSeconds = 4.0

    static var environment: [String: String] {
        ObjectStore.environment.merging(RuntimeFixture.keyEnvironment) { $1 }.merging(["OPENCLAW_GATEWAY_TOKEN": token]) { $1 }
    }

    static func start(state: String, hostID: String, endpoint: String, prefix: String, extra: [String] = []) async throws -> ReplicatedGateway {
        let process = try RunningCLI(arguments: ["gateway", "run", "--port", "0", "--drain-timeout", "2", "--state", state,
                                                 "--replica", "s3://\(ObjectStore.bucket)/\(prefix)", "--s3-endpoint", endpoint,
                                                 "--host-id", hostID, "--lease-seconds", String(leaseSeconds)] + extra,
                                     environment: environment)
        let ready = await process.waitForOutput(containing: "gateway listening on ws://127.0.0.1:", timeout: .seconds(30))
        try #require(ready, "gateway \(hostID) did not start: \(process.errors)")
        let line = try #require(process.output.split(separator: "\n").first { $0.hasPrefix("gateway listening on ") })
        return ReplicatedGateway(process: process, url: String(line.dropFirst("gateway listening on ".count)), state: state, hostID: hostID)
    }

    /// Calls one method; the error answer is thrown as ``GatewayError``.
    func call(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        try await GatewayClient.connect(url: url, token: Self.token) { session in try await session.call(method, params: params) }
    }

    /// Writes the agent's `AGENTS.md` through the gateway; returns the stored hash.
    @discardableResult
    func writeFile(_ agent: String, _ content: String) async throws -> String {
        let answer = try await call("agents.files.set", ["agentId": .string(agent), "name": "AGENTS.md", "content": .string(content)])
        return try #require(answer["file"]?["hash"]?.stringValue)
    }

    /// The agent's `AGENTS.md` as served.
    func readFile(_ agent: String) async throws -> (content: String?, hash: String?) {
        let answer = try await call("agents.files.get", ["agentId": .string(agent), "name": "AGENTS.md"])
        return (answer["file"]?["content"]?.stringValue, answer["file"]?["hash"]?.stringValue)
    }

    /// One run through `chat.send`, waited for; returns its final state.
    func chat(_ sessionKey: String, _ message: String, runID: String) async throws -> String? {
        try await GatewayClient.connect(url: url, token: Self.token) { session in
            let sent = try await session.call("chat.send", params: ["sessionKey": .string(sessionKey), "message": .string(message), "idempotencyKey": .string(runID)])
            try #require(sent["status"] == "started", "\(sent)")
            let events = try await session.collectEvents { events in
                events.contains { $0.name == "chat" && $0.payload["runId"]?.stringValue == runID && $0.payload["state"] != "delta" }
            }
            return events.last { $0.name == "chat" && $0.payload["runId"]?.stringValue == runID }?.payload["state"]?.stringValue
        }
    }

    /// The texts of a session's messages, as `chat.history` gives them.
    func history(_ sessionKey: String) async throws -> [String] {
        let history = try await call("chat.history", ["sessionKey": .string(sessionKey)])
        return (history["messages"]?.arrayValue ?? []).map { message in
            (message["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
        }
    }

    /// Retries `agents adopt` through the CLI until it succeeds or `timeout` passes.
    func adopt(_ agent: String, timeout: Duration) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        let cli = CLIRunner(state: state)
        while ContinuousClock.now < deadline {
            let result = try await RuntimeFixture.run(cli, ["agents", "adopt", agent, "--json"], environment: Self.environment)
            if result.status == 0 { return try result.json() as? [String: Any] }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Runs `openclaw ARGS --state STATE` with the store's credentials.
    func cli(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await RuntimeFixture.run(CLIRunner(state: state), arguments, environment: Self.environment)
    }

    func stop() async {
        process.signal(SIGTERM)
        let exited = await process.waitForExit(timeout: .seconds(20))
        #expect(exited, "gateway \(hostID) did not stop on SIGTERM")
        #expect(process.status == 0, "gateway \(hostID): \(process.errors)")
    }

    /// A chat completion for `model` through the official OpenAI Python client (the gateway needs
    /// `--openai-http`): the HTTP status and the `X-OpenClaw-Owner` header of an error, or `200`.
    func openAIStatus(model: String) throws -> String {
        let base = url.replacingOccurrences(of: "ws://", with: "http://") + "/v1"
        let script = """
            import openai, sys
            client = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
            try:
                client.chat.completions.create(model=sys.argv[3], messages=[{"role": "user", "content": "hi"}])
                print(200)
            except openai.APIStatusError as error:
                print(error.status_code, error.response.headers.get("x-openclaw-owner"), error.body.get("owner") if isinstance(error.body, dict) else None)
            """
        let result = try CLIRunner.run(executable: "/usr/bin/env", arguments: ["python3", "-c", script, base, Self.token, model])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + result.stderr.suffix(300)
    }

    /// Whether a `litestream replicate` process of this state directory runs.
    var litestreamRuns: Bool { litestreamPID != nil }

    /// The pid of this state directory's `litestream replicate`, if one runs.
    var litestreamPID: Int32? {
        let listing = (try? CLIRunner.shell("pgrep -af 'litestream replicate' || true").stdout) ?? ""
        return listing.split(separator: "\n").first { $0.contains(state + "/replication/litestream.yml") }
            .flatMap { $0.split(separator: " ").first }.flatMap { Int32($0) }
    }
}
