import Hummingbird

/// Answers a `/v1/...` request that no route takes with a 404 OpenAI error object instead of
/// Hummingbird's empty 404: naming the flag when the endpoint is off, the route otherwise.
struct OpenAINotFoundMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    /// Whether the OpenAI-compatible routes are registered.
    let enabled: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/v1" || path.hasPrefix("/v1/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let message = enabled
                ? "no route \(request.method) \(path): this gateway serves POST /v1/chat/completions, GET /v1/models and GET /v1/models/{id}"
                : "the OpenAI-compatible endpoint is off: start the gateway with --openai-http"
            return OpenAIError(.notFound, message, type: "invalid_request_error", code: "not_found").response
        }
    }
}
