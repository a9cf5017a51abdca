import AgentRuntime
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import StateStore
import Synchronization

/// The gateway: OpenClaw's protocol over WebSocket on one port, on one ``AgentHost``.
///
/// It owns the connections after their handshake, the runs it started (``RunLedger``) and the
/// broadcast of their events to every connection that may read them. It writes no SQL: sessions,
/// transcripts and runs go through the runtime, off the concurrency threads.
public final class Gateway: Sendable {
    public let host: AgentHost
    public let configuration: GatewayConfiguration
    /// Replication and placement by leases, when the gateway was started with a replica.
    public let replication: GatewayReplication?
    /// Adoptions in progress, one per agent.
    let adoptions = AgentTurns()
    /// Agents being released or stopped: no new work is taken for them.
    let moving = AgentSet()
    let token: GatewayToken
    let logger: Logger
    let startedAt = ContinuousClock.now
    let runs = RunLedger()
    let slots: RunSlots
    let uploads = SkillUploads()
    let authFailures: AuthFailureLimiter
    private let connections = Mutex<[String: GatewayConnection]>([:])
    private let broadcastSeq = Mutex<Int64>(0)
    private let draining = Mutex(false)
    /// The tasks forwarding runs' events, awaited on shutdown.
    private let watchers = Mutex(Watchers())
    /// Requests read and not yet answered: a shutdown answers them before it closes the sockets.
    private let answering = Mutex(0)

    public init(host: AgentHost, configuration: GatewayConfiguration, token: GatewayToken, logger: Logger, replication: GatewayReplication? = nil) {
        self.host = host
        self.configuration = configuration
        self.replication = replication
        self.token = token
        self.logger = logger
        self.slots = RunSlots(limit: configuration.maxRuns)
        self.authFailures = AuthFailureLimiter(limit: configuration.maxAuthFailures, window: configuration.authFailureWindow)
        installPlacement()
    }

    /// How many connections finished their handshake.
    var connectedCount: Int { connections.withLock { $0.count } }

    /// The connections after their handshake.
    var connectedClients: [GatewayConnection] { connections.withLock { Array($0.values) } }

    /// Whether a shutdown began: new runs and connections are refused.
    var isDraining: Bool { draining.withLock { $0 } }

    var uptimeMilliseconds: Int64 { Int64((ContinuousClock.now - startedAt) / .milliseconds(1)) }

    // MARK: Connections

    /// Serves one WebSocket from its upgrade to its end.
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let peer = channel.remoteAddress?.ipAddress ?? "unknown"
        let outbox = Outbox(limit: configuration.maxBufferedBytes)
        let connectionID = RuntimeClock.uuid()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await outbox.drain(to: outbound, channel: channel) }
            await session(inbound: inbound, outbox: outbox, connectionID: connectionID, peer: peer)
            // The reader ended (the peer closed, or the socket failed): the writer ends too.
            outbox.close(code: GatewayCloseCode.normal, reason: "")
            await group.waitForAll()
        }
        connections.withLock { _ = $0.removeValue(forKey: connectionID) }
    }

    private func session(inbound: WebSocketInboundStream, outbox: Outbox, connectionID: String, peer: String) async {
        let nonce = RuntimeClock.uuid()
        outbox.send(Frame.event("connect.challenge", payload: ["nonce": .string(nonce), "ts": .int64(RuntimeClock.milliseconds())]))
        let connected = Mutex(false)
        let timeout = configuration.handshakeTimeout
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, !connected.withLock({ $0 }) {
                outbox.close(code: GatewayCloseCode.normal, reason: "handshake timeout")
            }
        }
        defer { timer.cancel() }
        var iterator = inbound.makeAsyncIterator()
        let connection: GatewayConnection
        do {
            guard let first = try await iterator.nextMessage(maxSize: configuration.maxPreConnectPayload) else { return }
            guard !outbox.isClosing else { return }
            // One unfragmented frame is only bounded by the frame limit: the size is checked here.
            guard Self.size(of: first) <= configuration.maxPreConnectPayload else {
                outbox.close(code: GatewayCloseCode.messageTooBig, reason: "the first frame must be a connect request under \(configuration.maxPreConnectPayload) bytes")
                return
            }
            switch handshake(first, nonce: nonce, outbox: outbox, connectionID: connectionID, peer: peer) {
            case .success(let accepted):
                connection = accepted
                connected.withLock { $0 = true }
            case .failure(let failure):
                if let id = failure.id { outbox.send(Frame.failure(id: id, error: failure.error)) }
                outbox.close(code: failure.error.closeCode ?? GatewayCloseCode.policyViolation, reason: String(failure.error.message.prefix(120)))
                return
            }
        } catch {
            outbox.close(code: GatewayCloseCode.messageTooBig, reason: "the first frame must be a connect request under \(configuration.maxPreConnectPayload) bytes")
            return
        }
        timer.cancel()
        connections.withLock { $0[connectionID] = connection }
        logger.info("client connected", metadata: ["conn": .string(connectionID), "client": .string(connection.clientID),
                                                   "protocol": .stringConvertible(connection.protocolVersion)])
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                let message: WebSocketMessage?
                do { message = try await iterator.nextMessage(maxSize: configuration.maxPayload) } catch {
                    outbox.close(code: GatewayCloseCode.messageTooBig, reason: "a frame is larger than \(configuration.maxPayload) bytes")
                    break
                }
                guard let message else { break }
                guard case .text(let text) = message else {
                    outbox.send(Frame.failure(id: nil, error: GatewayError(.invalidRequest, "invalid request frame: binary frames are not served")))
                    continue
                }
                switch RequestFrame.parse(text) {
                case .failure(let failure):
                    outbox.send(Frame.failure(id: failure.id, error: failure.error))
                case .success(let request):
                    if inFlight >= configuration.maxRequestsPerConnection {
                        await group.next()
                        inFlight -= 1
                    }
                    inFlight += 1
                    // A request that starts a run is announced before the next frame is read, so
                    // an `agent.wait` pipelined behind it finds the run.
                    let announcement = Self.startsRun(request).map { runs.announce($0) }
                    group.addTask {
                        await RunLedger.$announcement.withValue(announcement) { await self.answer(request, on: connection) }
                        if let announcement { self.runs.settle(announcement) }
                    }
                }
            }
            await group.waitForAll()
        }
    }

    /// The run id a request starts, for the methods that start runs (`chat.send`, `agent`: the
    /// idempotency key becomes the run id).
    static func startsRun(_ request: RequestFrame) -> String? {
        guard request.method == "chat.send" || request.method == "agent" else { return nil }
        return request.params["idempotencyKey"]?.stringValue
    }

    static func size(of message: WebSocketMessage) -> Int {
        switch message {
        case .text(let text): text.utf8.count
        case .binary(let buffer): buffer.readableBytes
        }
    }

    /// The first message: a `connect` request, validated and authenticated.
    private func handshake(_ message: WebSocketMessage, nonce: String, outbox: Outbox, connectionID: String,
                           peer: String) -> Result<GatewayConnection, FrameFailure> {
        guard case .text(let text) = message, case .success(let request) = RequestFrame.parse(text) else {
            return .failure(FrameFailure(id: nil, error: GatewayError(.invalidRequest, "invalid request frame", closeCode: GatewayCloseCode.policyViolation)))
        }
        guard request.method == "connect" else {
            return .failure(FrameFailure(id: request.id, error: GatewayError(.invalidRequest, "invalid handshake: first request must be connect",
                                                      closeCode: GatewayCloseCode.policyViolation)))
        }
        if isDraining {
            return .failure(FrameFailure(id: request.id, error: GatewayError(.unavailable, "gateway stopping; retry shortly", retryable: true, retryAfterMilliseconds: 1000,
                                                      closeCode: GatewayCloseCode.serviceRestart)))
        }
        do throws(GatewayError) {
            let connect = try ConnectRequest.parse(request.params)
            let version = try connect.negotiatedProtocol()
            try authenticate(connect, peer: peer)
            try connect.verifyDevice(nonce: nonce, now: RuntimeClock.milliseconds())
            let scopes = Set(connect.scopes).intersection(GatewayScope.known)
            let connection = GatewayConnection(id: connectionID, peer: peer, outbox: outbox, protocolVersion: version, scopes: scopes,
                                               caps: connect.caps, clientID: connect.clientID,
                                               clientVersion: connect.clientVersion, platform: connect.platform, mode: connect.mode)
            outbox.send(Frame.success(id: request.id, payload: helloOK(connection, role: connect.role)))
            return .success(connection)
        } catch {
            return .failure(FrameFailure(id: request.id, error: error))
        }
    }

    /// The shared token, with a rate limit on failures per peer.
    private func authenticate(_ connect: ConnectRequest, peer: String) throws(GatewayError) {
        let close = GatewayCloseCode.policyViolation
        if let wait = authFailures.retryAfter(peer) {
            let milliseconds = Int(wait / .milliseconds(1)) + 1
            throw GatewayError(.invalidRequest, "unauthorized: too many failed attempts, rate limited (retry after \(milliseconds) ms)",
                               details: ["code": "AUTH_RATE_LIMITED"], retryable: true, retryAfterMilliseconds: milliseconds, closeCode: close)
        }
        guard let presented = connect.token, !presented.isEmpty else {
            authFailures.recordFailure(peer)
            throw GatewayError(.invalidRequest, "unauthorized: gateway token missing (send it in auth.token; `openclaw gateway token` prints it)",
                               details: ["code": "AUTH_TOKEN_MISSING"], closeCode: close)
        }
        guard token.matches(presented) else {
            authFailures.recordFailure(peer)
            throw GatewayError(.invalidRequest, "unauthorized: gateway token mismatch (check OPENCLAW_GATEWAY_TOKEN or `openclaw gateway token`)",
                               details: ["code": "AUTH_TOKEN_MISMATCH"], closeCode: close)
        }
        authFailures.recordSuccess(peer)
    }

    private func helloOK(_ connection: GatewayConnection, role: String) -> JSONValue {
        let main = SessionKey.main(.main)
        return [
            "type": "hello-ok",
            "protocol": .int(connection.protocolVersion),
            "server": ["version": .string(configuration.serverVersion), "connId": .string(connection.id)],
            "features": ["methods": .array(GatewayMethods.served.map { .string($0) }), "events": .array(GatewayMethods.events.map { .string($0) })],
            "snapshot": [
                "presence": presence(), "health": ["ok": true], "stateVersion": ["presence": 0, "health": 0], "uptimeMs": .int64(uptimeMilliseconds),
                "stateDir": .string(host.state.root),
                "sessionDefaults": ["defaultAgentId": "main", "mainKey": "main", "mainSessionKey": .string(main.value), "scope": "per-sender"],
                "authMode": "token",
            ],
            "auth": ["role": .string(role), "scopes": .array(connection.scopes.sorted().map { .string($0) })],
            "policy": ["maxPayload": .int(configuration.maxPayload), "maxBufferedBytes": .int(configuration.maxBufferedBytes),
                       "tickIntervalMs": .int(configuration.tickIntervalMilliseconds)],
        ]
    }

    // MARK: Requests

    private func answer(_ request: RequestFrame, on connection: GatewayConnection) async {
        answering.withLock { $0 += 1 }
        defer { answering.withLock { $0 -= 1 } }
        guard let method = GatewayMethods.table[request.method] else {
            connection.outbox.send(Frame.failure(id: request.id, error: GatewayError(.invalidRequest, "unknown method: \(request.method)")))
            return
        }
        guard GatewayScope.grants(connection.scopes, method.scope) else {
            connection.outbox.send(Frame.failure(id: request.id, error: GatewayError(.forbidden, "missing scope: \(method.scope)", details: [
                "code": "MISSING_SCOPE", "missingScope": .string(method.scope), "requiredScopes": [.string(method.scope)],
            ])))
            return
        }
        do {
            switch try await method.handler(self, connection, Params(request.method, request.params)) {
            case .payload(let payload):
                connection.outbox.send(Frame.success(id: request.id, payload: payload))
            case .twoPhase(let first, let final):
                connection.outbox.send(Frame.success(id: request.id, payload: first))
                switch await final() {
                case .success(let payload): connection.outbox.send(Frame.success(id: request.id, payload: payload))
                case .failure(let error): connection.outbox.send(Frame.failure(id: request.id, error: error))
                }
            }
        } catch {
            connection.outbox.send(Frame.failure(id: request.id, error: GatewayError.wrap(error)))
        }
    }

    // MARK: Events

    /// Sends an event to every connection that may read it, with the next broadcast `seq`.
    /// `variants` are the payload's shapes (one per protocol, say); `choose` picks a connection's
    /// (`nil`: not for it). Each variant is encoded once, whatever the number of connections.
    /// Events for some connections only (`sequenced` false: `tool` events) carry no `seq`, as
    /// OpenClaw's connection-targeted events, so the others see no gap in theirs.
    func broadcast(_ name: String, needsRead: Bool = true, sequenced: Bool = true, variants: [JSONValue],
                   choose: (GatewayConnection) -> Int? = { _ in 0 }) {
        let targets = connectedClients
        let seq: Int64? = sequenced ? broadcastSeq.withLock { seq -> Int64 in
            seq += 1
            return seq
        } : nil
        var frames = [String?](repeating: nil, count: variants.count)
        for connection in targets where !needsRead || connection.canRead {
            guard let index = choose(connection), variants.indices.contains(index) else { continue }
            let frame = frames[index] ?? Frame.event(name, payload: variants[index], seq: seq)
            frames[index] = frame
            connection.outbox.send(frame)
        }
    }

    /// `sessions.changed` to the readers.
    func sessionsChanged(_ key: SessionKey, reason: String) {
        broadcast("sessions.changed", variants: [["sessionKey": .string(key.value), "reason": .string(reason), "ts": .int64(RuntimeClock.milliseconds())]])
    }

    /// The tasks forwarding runs' events.
    private struct Watchers {
        /// The task of each run watched, until its events are all sent.
        var tasks: [String: Task<Void, Never>] = [:]
        /// The run of each session watched last: the session's next run sends its events after it.
        var lastInSession: [SessionKey: String] = [:]
    }

    /// Forwards a started run's events to the readers (and to `observer`, when given) and records
    /// its end, which gives its slot back.
    ///
    /// The runs of one session run one after another, and their events reach the clients in that
    /// order too: a run's events wait until the session's previous run has sent its end (the
    /// runtime gives the session to the next run just before the previous one's end is read
    /// here). A run aborted while it waits for the session says so at once.
    /// A `timeout` aborts the run when it passes; the timer ends with the run.
    func watch(_ run: AgentRun, observer: AsyncStream<AgentRunEvent>.Continuation? = nil, timeout: Duration? = nil) {
        runs.begin(run.runID, sessionKey: run.sessionKey)
        watchers.withLock { watchers in
            let previous = watchers.lastInSession[run.sessionKey].flatMap { watchers.tasks[$0] }
            watchers.tasks[run.runID] = Task {
                await forward(run, after: previous, observer: observer, timeout: timeout)
                self.watchers.withLock { watchers in
                    watchers.tasks[run.runID] = nil
                    if watchers.lastInSession[run.sessionKey] == run.runID { watchers.lastInSession[run.sessionKey] = nil }
                }
            }
            watchers.lastInSession[run.sessionKey] = run.runID
        }
    }

    private func forward(_ run: AgentRun, after previous: Task<Void, Never>?, observer: AsyncStream<AgentRunEvent>.Continuation?, timeout: Duration?) async {
        let host = self.host
        let timer = timeout.map { limit in
            Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                host.abort(runID: run.runID, reason: "the run passed its timeout of \(Int(limit / .milliseconds(1))) ms")
            }
        }
        defer { timer?.cancel() }
        var translator = RunEventTranslator(rootRunID: run.runID)
        var outcome = RunLedger.Outcome()
        var previous = previous
        for await event in run.events {
            if let earlier = previous, !event.isTerminal {
                await earlier.value
                previous = nil
            }
            observer?.yield(event)
            let output = translator.translate(event)
            for payload in output.agent { broadcast("agent", variants: [payload]) }
            if let assistant = output.assistant {
                broadcast("agent", variants: [assistant.v4, assistant.v3]) { $0.protocolVersion >= 4 ? 0 : 1 }
            }
            for payload in output.tool { broadcast("agent", sequenced: false, variants: [payload]) { $0.caps.contains("tool-events") ? 0 : nil } }
            if let chat = output.chat { broadcast("chat", variants: [chat.v4, chat.v3]) { $0.protocolVersion >= 4 ? 0 : 1 } }
            if event.runID == run.runID { outcome.absorb(event.payload) }
        }
        if outcome.endedAt == 0 { outcome.endedAt = RuntimeClock.milliseconds() }
        observer?.finish()
        runs.end(run.runID, outcome)
        slots.release()
    }

    /// `tick {ts}` to every connection, every ``GatewayConfiguration/tickInterval``, until cancelled.
    func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.tickInterval)
            guard !Task.isCancelled else { return }
            broadcast("tick", needsRead: false, variants: [["ts": .int64(RuntimeClock.milliseconds())]])
        }
    }

    /// Ends the runs a killed process left in flight, logging each (a failure to read an agent's
    /// transcripts is logged, and does not stop the gateway).
    func recoverInterruptedRuns() async {
        do {
            for run in try await host.recoverInterruptedRuns() {
                logger.notice("marked an interrupted run", metadata: ["runId": .string(run.runID), "sessionKey": .string(run.sessionKey.value),
                                                                       "pid": .stringConvertible(run.pid)])
            }
        } catch {
            logger.error("cannot look for interrupted runs", metadata: ["error": .string("\(error)")])
        }
    }

    // MARK: Shutdown

    /// Stops taking connections and runs, tells every client, lets runs in flight finish up to
    /// the drain timeout, aborts the rest, closes every socket 1012 and shuts the host down.
    public func shutdown(reason: String = "gateway stopping") async {
        let first = draining.withLock { draining in
            defer { draining = true }
            return !draining
        }
        guard first else { return }
        logger.info("shutting down", metadata: ["runs": .stringConvertible(runs.activeCount), "connections": .stringConvertible(connectedCount)])
        slots.close()
        broadcast("shutdown", needsRead: false, variants: [["reason": .string(reason), "restartExpectedMs": .null]])
        await Self.wait(upTo: configuration.drainTimeout) { runs.activeCount > 0 }
        for runID in host.activeRunIDs { host.abort(runID: runID, reason: "the gateway is shutting down") }
        for task in watchers.withLock({ Array($0.tasks.values) }) { await task.value }
        // A request read before the sockets close gets its answer (an `agent` request its
        // outcome); a client that keeps sending is not waited for past a short grace.
        await Self.wait(upTo: .seconds(2)) { answering.withLock { $0 } > 0 }
        for connection in connectedClients {
            connection.outbox.close(code: GatewayCloseCode.serviceRestart, reason: "service restart")
        }
        await host.shutdown(reason: "the gateway is shutting down")
    }

    /// Waits while `pending` holds, polling, for at most `limit`.
    private static func wait(upTo limit: Duration, while pending: () -> Bool) async {
        let deadline = ContinuousClock.now + limit
        while pending(), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
