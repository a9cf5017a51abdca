import AgentRuntime
import Foundation
import Hummingbird
import NIOCore
import StateStore

/// The OpenAI-compatible endpoint on the gateway's port (off unless
/// ``GatewayConfiguration/openAIHTTP``): `POST /v1/chat/completions`, `GET /v1/models` and
/// `GET /v1/models/{id}`, each behind the gateway token as a bearer.
///
/// Runs go through ``Gateway/startRun(_:key:idempotencyKey:method:timeout:observer:)`` like
/// `chat.send`'s, so the run bound applies and WebSocket readers see their events.
struct OpenAIRoutes: Sendable {
    let gateway: Gateway
    /// The `created` of the model objects: when the routes were set up, in seconds since 1970.
    let created = Int(RuntimeClock.milliseconds() / 1000)

    /// Adds the routes to `router`.
    func register(on router: Router<GatewayRequestContext>) {
        router.post("/v1/chat/completions") { request, context in await chatCompletions(request, context: context) }
        router.get("/v1/models") { request, context in await models(request, context: context) }
        router.get("/v1/models/**") { request, context in await model(request, context: context) }
    }

    /// Answers every failure of `body` as an OpenAI error object.
    private func answering(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            let failure = OpenAIError.from(error)
            // A failure of the gateway or its providers is logged; a drain's refusals are not.
            if failure.status.code >= 500, failure.status != .serviceUnavailable {
                gateway.logger.warning("openai request failed", metadata: ["status": .stringConvertible(failure.status.code), "error": .string(failure.message)])
            }
            return failure.response
        }
    }

    func chatCompletions(_ request: Request, context: GatewayRequestContext) async -> Response {
        await answering {
            try authenticate(request.headers, peer: context.peer)
            guard !gateway.isDraining else { throw OpenAIError.draining }
            let chat = try OpenAIChatRequest(body: try await body(of: request))
            let route = try OpenAISessionRouting.route(
                model: chat.model, user: chat.user,
                agentHeader: OpenAISessionRouting.agentHeaders.lazy.compactMap { Self.header($0, in: request.headers) }.first,
                sessionHeader: Self.header(OpenAISessionRouting.sessionHeader, in: request.headers))
            try await requireServed(route.agent, model: chat.model)
            let message = try OpenAIPrompt.message(for: chat.messages, sessionKeepsHistory: route.isNamed)
            return try await complete(chat, message: message, route: route, context: context)
        }
    }

    func models(_ request: Request, context: GatewayRequestContext) async -> Response {
        await answering {
            try authenticate(request.headers, peer: context.peer)
            return Self.json(OpenAIWire.modelList(OpenAIWire.modelIDs(try await gateway.agentIDs()), created: created))
        }
    }

    func model(_ request: Request, context: GatewayRequestContext) async -> Response {
        await answering {
            try authenticate(request.headers, peer: context.peer)
            let raw = context.parameters.getCatchAll().joined(separator: "/")
            let id = raw.removingPercentEncoding ?? raw
            guard OpenAIWire.modelIDs(try await gateway.agentIDs()).contains(id) else { throw OpenAIError.modelNotFound(id) }
            return Self.json(OpenAIWire.model(id, created: created))
        }
    }

    /// `main` is always served; another agent must be registered. A replicating gateway serves
    /// the agents whose leases it holds (or adopts): one owned elsewhere is 421 with its URL.
    private func requireServed(_ agent: AgentID, model: String) async throws {
        if gateway.replication != nil {
            do { return try await gateway.requirePlaced(agent) } catch let error as GatewayError where error.code == .invalidRequest {
                throw OpenAIError.modelNotFound(model)
            }
        }
        if agent == .main { return }
        guard try await gateway.agentIDs().contains(agent) else { throw OpenAIError.modelNotFound(model) }
    }

    /// The body, up to ``GatewayConfiguration/openAIMaxBodyBytes`` (413 beyond: at once when
    /// `Content-Length` says so, else when the bytes pass the limit).
    private func body(of request: Request) async throws -> ByteBuffer {
        let limit = gateway.configuration.openAIMaxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw OpenAIError.tooLarge(limit: limit) }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw OpenAIError.tooLarge(limit: limit)
        }
    }

    /// The first value of the header named `name` (lowercase).
    static func header(_ name: String, in headers: HTTPFields) -> String? {
        headers.first { $0.name.canonicalName == name }?.value
    }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
