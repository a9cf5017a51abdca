import AgentRuntime
import Foundation
import NIOSSL
import HummingbirdWSClient
import Logging
import Synchronization

/// A client of a gateway: connects, answers the challenge with `connect`, then sends requests
/// and reads events until its body returns. Used by `openclaw gateway call` and by tests.
///
/// ```swift
/// let payload = try await GatewayClient.connect(url: "ws://127.0.0.1:18789", token: token) { session in
///     try await session.call("sessions.list")
/// }
/// ```
public enum GatewayClient {
    /// What `connect` sends about the client.
    public struct Identity: Sendable {
        public var clientID = "cli"
        public var mode = "cli"
        public var version = "0.1.0"
        public var minProtocol = GatewayProtocol.current
        public var maxProtocol = GatewayProtocol.current
        public var scopes = ["operator.read", "operator.write", "operator.admin"]
        public var caps: [String] = []

        public init() {}
    }

    /// Connects to `url`, performs the handshake with `token`, runs `body`, then closes.
    /// - throws: ``GatewayError`` when the handshake is refused, ``GatewayClientError`` when the
    ///   gateway cannot be reached or closes early; what `body` throws.
    /// - parameter handshakeTimeout: how long the connection and the handshake may take (a
    ///   server that never answers, such as a TLS port reached with ws://, fails then).
    public static func connect<T: Sendable>(url: String, token: String, identity: Identity = Identity(), tls: TLSConfiguration? = nil,
                                            handshakeTimeout: Duration = .seconds(10),
                                            _ body: @escaping @Sendable (GatewaySession) async throws -> T) async throws -> T {
        let connected = Connected()
        // Not a task group: a connection that never answers cannot be cancelled, and a group
        // would wait for it. The first of the outcome and the timer answers; the other is ignored.
        let answer = Answer<T>()
        return try await withCheckedThrowingContinuation { continuation in
            answer.set(continuation)
            let connection = Task {
                do { answer.resume(.success(try await run(url: url, token: token, identity: identity, tls: tls, connected: connected, body))) } catch {
                    answer.resume(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: handshakeTimeout)
                guard !connected.isSet else { return }
                connection.cancel()
                answer.resume(.failure(GatewayClientError(message: "the gateway at \(url) did not answer within \(handshakeTimeout)"
                                                          + (url.hasPrefix("ws://") ? " (a TLS gateway is reached with wss://)" : ""))))
            }
        }
    }

    /// A continuation resumed once, by whichever comes first.
    final class Answer<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
        func set(_ value: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = value } }
        func resume(_ result: Result<T, any Error>) {
            let waiting = continuation.withLock { stored in
                defer { stored = nil }
                return stored
            }
            waiting?.resume(with: result)
        }
    }

    /// Set once the handshake is done.
    final class Connected: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    private static func run<T: Sendable>(url: String, token: String, identity: Identity, tls: TLSConfiguration?, connected: Connected,
                                         _ body: @escaping @Sendable (GatewaySession) async throws -> T) async throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        var logger = Logger(label: "openclaw.gateway.client")
        logger.logLevel = .critical
        let close: WebSocketCloseFrame?
        do {
            var configuration = WebSocketClientConfiguration(maxFrameSize: 32 << 20)
            // TLS forbids an IP address as the server name: a wss:// URL by address names no server
            // (the certificate is then checked as its configuration says: see GatewayTLSFiles).
            if tls != nil, let host = URLComponents(string: url)?.host, host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
                configuration.sniHostname = "localhost"
            }
            close = try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                let session = GatewaySession(outbound: outbound)
                let reader = Task {
                    var iterator = inbound.messages(maxSize: 64 << 20).makeAsyncIterator()
                    while let message = try? await iterator.next() {
                        guard case .text(let text) = message else { continue }
                        session.receive(text)
                    }
                    session.ended()
                }
                do {
                    let hello = try await session.handshake(token: token, identity: identity)
                    session.hello.withLock { $0 = hello }
                    connected.set()
                    let value = try await body(session)
                    outcome.withLock { $0 = .success(value) }
                } catch {
                    outcome.withLock { $0 = .failure(error) }
                }
                // The reader ends when the gateway answers the close. It must end before this
                // handler does: the client library reads the same inbound stream afterwards.
                try? await outbound.close(.normalClosure, reason: nil)
                let stopper = Task {
                    try? await Task.sleep(for: .seconds(2))
                    reader.cancel()
                }
                await reader.value
                stopper.cancel()
            }
        } catch {
            throw GatewayClientError(message: "cannot reach the gateway at \(url): \(error)")
        }
        switch outcome.withLock({ $0 }) {
        case .success(let value)?: return value
        case .failure(let error)?: throw error
        case nil:
            throw GatewayClientError(message: "the gateway at \(url) closed the connection"
                                     + (close.map { " (\($0.closeCode), \($0.reason ?? ""))" } ?? ""))
        }
    }
}

/// The gateway could not be reached, or ended the connection early.
public struct GatewayClientError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// One connection of ``GatewayClient`` after its handshake.
public final class GatewaySession: Sendable {
    /// An event as received: its name, payload and broadcast `seq`.
    public struct Event: Sendable {
        public var name: String
        public var payload: JSONValue
        public var seq: Int64?
    }

    private let outbound: WebSocketOutboundWriter
    /// The responses awaited, by request id.
    private let pending = Mutex<[String: AsyncStream<JSONValue>.Continuation]>([:])
    private let nextID = Mutex(0)
    private let closed = Mutex(false)
    /// The `hello-ok` payload.
    public let hello = Mutex<JSONValue>(.null)
    /// Every event, in order of arrival.
    public let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation

    init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
    }

    func receive(_ text: String) {
        guard let frame = try? JSONValue.parse(text) else { return }
        switch frame["type"]?.stringValue {
        case "event":
            eventSink.yield(Event(name: frame["event"]?.stringValue ?? "", payload: frame["payload"] ?? .null, seq: frame["seq"]?.int64Value))
        case "res":
            guard let id = frame["id"]?.stringValue else { return }
            _ = pending.withLock { $0[id] }?.yield(frame)
        default:
            break
        }
    }

    func ended() {
        closed.withLock { $0 = true }
        eventSink.finish()
        let waiting = pending.withLock { table in
            defer { table = [:] }
            return Array(table.values)
        }
        for waiter in waiting { waiter.finish() }
    }

    private func newRequestID() -> String {
        nextID.withLock { next in
            next += 1
            return "req_\(next)"
        }
    }

    /// The responses to request `id`, registered before the request goes out so none is missed.
    /// - throws: when the connection has closed.
    private func awaitResponses(to id: String) throws -> AsyncStream<JSONValue> {
        let (stream, continuation) = AsyncStream.makeStream(of: JSONValue.self)
        let isClosed = pending.withLock { table in
            if closed.withLock({ $0 }) { return true }
            table[id] = continuation
            return false
        }
        guard !isClosed else { throw GatewayClientError(message: "the gateway closed the connection") }
        return stream
    }

    /// Sends a request and returns its first `responses` response frames (`{type:"res", ...}`).
    public func send(_ method: String, params: JSONValue = [:], id: String? = nil, responses: Int = 1) async throws -> [JSONValue] {
        let id = id ?? newRequestID()
        let stream = try awaitResponses(to: id)
        defer { _ = pending.withLock { $0.removeValue(forKey: id) } }
        let frame: JSONValue = ["type": "req", "id": .string(id), "method": .string(method), "params": params]
        try await outbound.write(.text(frame.jsonText))
        var frames: [JSONValue] = []
        for await response in stream {
            frames.append(response)
            if frames.count == responses || response["ok"] != .bool(true) { break }
        }
        guard !frames.isEmpty else { throw GatewayClientError(message: "the gateway closed the connection before answering \(method)") }
        return frames
    }

    /// Sends `requests` one after the other without waiting for any answer (pipelined, written in
    /// this order) and returns each one's first response frame, in the same order.
    public func sendPipelined(_ requests: [(method: String, params: JSONValue)]) async throws -> [JSONValue] {
        var waiting: [(id: String, responses: AsyncStream<JSONValue>)] = []
        defer { pending.withLock { table in for request in waiting { table.removeValue(forKey: request.id) } } }
        for (method, params) in requests {
            let id = newRequestID()
            waiting.append((id, try awaitResponses(to: id)))
            let frame: JSONValue = ["type": "req", "id": .string(id), "method": .string(method), "params": params]
            try await outbound.write(.text(frame.jsonText))
        }
        var answers: [JSONValue] = []
        for request in waiting {
            var iterator = request.responses.makeAsyncIterator()
            guard let response = await iterator.next() else {
                throw GatewayClientError(message: "the gateway closed the connection before answering request \(request.id)")
            }
            answers.append(response)
        }
        return answers
    }

    /// The events from now on until `done` says so (given all events so far).
    /// - throws: ``GatewayClientError`` when `timeout` passes first, or the connection ends.
    public func collectEvents(timeout: Duration = .seconds(30), until done: @escaping @Sendable ([Event]) -> Bool) async throws -> [Event] {
        try await withThrowingTaskGroup(of: [Event]?.self) { group in
            group.addTask { [events] in
                var seen: [Event] = []
                for await event in events {
                    seen.append(event)
                    if done(seen) { return seen }
                }
                throw GatewayClientError(message: "the gateway closed the connection while events were awaited")
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let seen = first else {
                throw GatewayClientError(message: "the awaited events did not come within \(timeout)")
            }
            return seen
        }
    }

    /// Calls `method` and returns its payload.
    /// - throws: the response's error as a ``GatewayError``.
    public func call(_ method: String, params: JSONValue = [:], expectFinal: Bool = false) async throws -> JSONValue {
        let frames = try await send(method, params: params, responses: expectFinal ? 2 : 1)
        guard let last = frames.last else { throw GatewayClientError(message: "no response") }
        for frame in frames where frame["ok"] != .bool(true) { throw Self.error(frame["error"]) }
        return last["payload"] ?? .null
    }

    /// The ``GatewayError`` of a failed response's `error` object.
    public static func error(_ json: JSONValue?) -> GatewayError {
        let code = GatewayError.Code(rawValue: json?["code"]?.stringValue ?? "") ?? .unavailable
        return GatewayError(code, json?["message"]?.stringValue ?? "the gateway answered an error", details: json?["details"]?.objectValue ?? [:],
                            retryable: json?["retryable"]?.boolValue, retryAfterMilliseconds: json?["retryAfterMs"]?.intValue)
    }

    /// Waits for `connect.challenge`, sends `connect` and returns `hello-ok`.
    func handshake(token: String, identity: GatewayClient.Identity) async throws -> JSONValue {
        var challenge: Event?
        for await event in events where event.name == "connect.challenge" {
            challenge = event
            break
        }
        guard challenge != nil else { throw GatewayClientError(message: "the gateway sent no connect.challenge") }
        let params: JSONValue = [
            "minProtocol": .int(identity.minProtocol), "maxProtocol": .int(identity.maxProtocol),
            "client": ["id": .string(identity.clientID), "version": .string(identity.version), "platform": "linux", "mode": .string(identity.mode)],
            "role": "operator", "scopes": .array(identity.scopes.map { .string($0) }), "caps": .array(identity.caps.map { .string($0) }),
            "auth": ["token": .string(token)],
        ]
        let frames = try await send("connect", params: params)
        guard let frame = frames.first else { throw GatewayClientError(message: "no hello-ok") }
        guard frame["ok"] == .bool(true), let payload = frame["payload"] else { throw Self.error(frame["error"]) }
        return payload
    }
}
