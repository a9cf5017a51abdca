import Foundation
import Hummingbird
import Synchronization

/// A local HTTP server that speaks the OpenAI Chat Completions and Anthropic Messages wire
/// formats (streaming and not), answering with replies scripted by tests and benchmarks.
///
/// ```swift
/// let provider = try await FakeModelProvider.start()
/// provider.enqueue(.text("Hello there"), .toolCalls([FakeToolCall(id: "call_1", name: "read", argumentsJSON: "{}")], text: nil))
/// // point a client at provider.baseURL ...
/// await provider.stop()
/// ```
///
/// Routes (POST only): `/v1/chat/completions`, `/chat/completions` (OpenAI);
/// `/v1/messages`, `/messages` (Anthropic). Anything else is a 404 with a JSON error body.
/// A body that is not a JSON object gets a 400 in the route's error shape. `"stream": true`
/// in the body selects a server-sent-event response.
public final class FakeModelProvider: Sendable {
    /// The TCP port the server listens on (on 127.0.0.1).
    public let port: Int
    private let state: FakeProviderState
    private let serverTask: Task<Void, Never>

    private init(port: Int, state: FakeProviderState, serverTask: Task<Void, Never>) {
        self.port = port
        self.state = state
        self.serverTask = serverTask
    }

    deinit {
        serverTask.cancel()
    }

    /// Starts a server on 127.0.0.1 with an OS-chosen port; returns once it is listening.
    public static func start() async throws -> FakeModelProvider {
        let state = FakeProviderState()
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)

        var app = Application(
            responder: FakeResponder(state: state),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port {
                    portContinuation.yield(.success(port))
                } else {
                    portContinuation.yield(.failure(FakeProviderError.serverDidNotStart))
                }
                portContinuation.finish()
            }
        )
        app.logger.logLevel = .critical

        let serverTask = Task.detached {
            do {
                try await app.runService(gracefulShutdownSignals: [])
            } catch {
                portContinuation.yield(.failure(error))
            }
            portContinuation.yield(.failure(FakeProviderError.serverDidNotStart))
            portContinuation.finish()
            state.markStopped()
        }

        var iterator = portStream.makeAsyncIterator()
        let outcome = await iterator.next() ?? .failure(FakeProviderError.serverDidNotStart)
        switch outcome {
        case .success(let port):
            return FakeModelProvider(port: port, state: state, serverTask: serverTask)
        case .failure(let error):
            serverTask.cancel()
            await serverTask.value
            throw error
        }
    }

    /// The server's base URL, `http://127.0.0.1:<port>` (no trailing slash, no `/v1`).
    public var baseURL: String {
        "http://127.0.0.1:\(port)"
    }

    /// Appends replies to the FIFO queue; each model request (not stopped by a key rule or a
    /// malformed body) consumes one, in arrival order.
    public func enqueue(_ replies: FakeReply...) {
        state.enqueue(replies)
    }

    /// Appends replies to the FIFO queue.
    public func enqueue(contentsOf replies: [FakeReply]) {
        state.enqueue(replies)
    }

    /// Sets the reply used when the queue is empty; initially `.text("ok")`.
    public func setDefaultReply(_ reply: FakeReply) {
        state.setDefaultReply(reply)
    }

    /// Makes every request carrying `key` (as bearer token or `x-api-key`) fail with the rule's
    /// error (429 or 401), consuming no queued reply; `nil` removes the rule.
    public func setKeyRule(_ key: String, _ rule: FakeKeyRule?) {
        state.setKeyRule(key, rule)
    }

    /// Delays every answer by `duration` (default zero). When non-zero, streamed events are
    /// also spaced by 1 ms.
    public func setLatency(_ duration: Duration) {
        state.setLatency(duration)
    }

    /// Every request received on a model route, in arrival order.
    public var requests: [FakeRecordedRequest] {
        state.requests
    }

    /// The number of requests received on model routes.
    public var requestCount: Int {
        state.requestCount
    }

    /// Clears the queue, the recorded requests and the key rules, and restores the default
    /// reply to `.text("ok")`. The latency is kept.
    public func reset() {
        state.reset()
    }

    /// Stops the server and waits for it to finish; stalled responses end (their connections
    /// close). Calling it again does nothing.
    public func stop() async {
        state.markStopped()
        serverTask.cancel()
        await serverTask.value
    }
}
