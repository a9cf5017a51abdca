import AgentRuntime
import Foundation
import Hummingbird
import NIOCore

extension OpenAIRoutes {
    /// Starts the run of `message` in the route's session and answers it: whole, or as
    /// server-sent events when the request streams.
    ///
    /// The completion id (`chatcmpl_<uuid>`) is also the run's id and idempotency key, so the
    /// run's `agent` and `chat` events on the WebSocket carry it as `runId`.
    func complete(_ chat: OpenAIChatRequest, message: String, route: OpenAISessionRoute, context: GatewayRequestContext) async throws -> Response {
        let id = "chatcmpl_" + RuntimeClock.uuid()
        let (events, observer) = AsyncStream<AgentRunEvent>.makeStream()
        let (run, _) = try await gateway.startRun(message, key: route.key, idempotencyKey: id, method: "chat.completions", timeout: nil, observer: observer)
        gateway.logger.debug("openai chat completion", metadata: ["runId": .string(run.runID), "sessionKey": .string(route.key.value),
                                                                  "stream": .stringConvertible(chat.stream)])
        let created = Int(RuntimeClock.milliseconds() / 1000)
        guard chat.stream else {
            let result = try await AgentRun.result(of: events, runID: run.runID, sessionKey: route.key)
            return Self.json(OpenAIWire.completion(id: id, model: chat.model, created: created, text: result.text, usage: result.usage))
        }
        let chunks = OpenAIChunkStream(id: id, model: chat.model, created: created, includeUsage: chat.includeUsage)
        let host = gateway.host
        let runID = run.runID
        let channel = context.channel
        let body = ResponseBody { writer in
            // A client that goes away aborts the run: seen by the observer while the run is
            // quiet, or by the next write that fails.
            let abort: @Sendable () -> Void = { host.abort(runID: runID, reason: "the HTTP client disconnected") }
            let observer = ChannelCloseObserver(onClose: abort)
            // Adding fails only on a channel already closed.
            let watching = (try? await channel.pipeline.addHandler(observer, position: .first).get()) != nil
            if !watching || !channel.isActive { abort() }
            do {
                try await Self.write(events, of: runID, as: chunks, to: &writer)
            } catch {
                abort()
                if watching { try? await channel.pipeline.removeHandler(observer).get() }
                throw error
            }
            if watching { try? await channel.pipeline.removeHandler(observer).get() }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private static func write(_ events: AsyncStream<AgentRunEvent>, of runID: String, as chunks: OpenAIChunkStream,
                              to writer: inout any ResponseBodyWriter) async throws {
        var chunks = chunks
        try await writer.write(ByteBuffer(string: chunks.opening))
        for await event in events where event.runID == runID {
            for text in chunks.events(for: event.payload) { try await writer.write(ByteBuffer(string: text)) }
        }
        try await writer.write(ByteBuffer(string: OpenAIWire.done))
        try await writer.finish(nil)
    }
}
