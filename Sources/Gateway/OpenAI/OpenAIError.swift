import AgentRuntime
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// A failure of the OpenAI-compatible endpoint as OpenAI's clients read it: an HTTP status and
/// the body `{"error": {"message", "type", "param", "code"}}` (and `Retry-After` for 429 and 503).
///
/// ``from(_:)`` is the one place that turns any other failure (the gateway's, the runtime's,
/// a run's) into a status. A message never holds the token.
struct OpenAIError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `rate_limit_error`,
    /// `server_error` or `api_error`.
    var type: String
    /// A stable machine-readable reason (`invalid_api_key`, `model_not_found`, ...).
    var code: String?
    /// The request field at fault, like `messages[0].content`.
    var param: String?
    /// Seconds before a retry may succeed, sent as `Retry-After`.
    var retryAfterSeconds: Int?
    /// The URL of the gateway that serves the agent (a 421), sent in the body as `error.owner`
    /// and as the `X-OpenClaw-Owner` header.
    var owner: String?

    init(_ status: HTTPResponse.Status, _ message: String, type: String, code: String? = nil, param: String? = nil, retryAfterSeconds: Int? = nil,
         owner: String? = nil) {
        self.owner = owner
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// A 400 `invalid_request_error`.
    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(.badRequest, message, type: "invalid_request_error", code: code, param: param)
    }

    /// The 400 for a `model` that names no agent form.
    static let invalidModel = invalidRequest("Invalid `model`. Use `openclaw` or `openclaw/<agentId>`.", param: "model", code: "invalid_model")

    /// The 404 for a model (an agent) this gateway does not serve.
    static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(.notFound, "The model `\(model)` does not exist: no such agent is served by this gateway (GET /v1/models lists them).",
                    type: "invalid_request_error", code: "model_not_found", param: "model")
    }

    /// The 503 of a gateway that is shutting down.
    static let draining = OpenAIError(.serviceUnavailable, "gateway stopping; retry shortly", type: "server_error", code: "gateway_draining", retryAfterSeconds: 1)

    /// `{"error": {...}}`.
    var json: JSONValue {
        var error: [String: JSONValue] = ["message": .string(message), "type": .string(type), "param": .optional(param), "code": .optional(code)]
        if let owner { error["owner"] = .string(owner) }
        return ["error": .object(error)]
    }

    /// The HTTP response: the JSON body, `Retry-After` when known, `WWW-Authenticate` on a 401.
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let owner, let name = HTTPField.Name("X-OpenClaw-Owner") { headers[name] = owner }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json.jsonText)))
    }

    /// Any failure as the endpoint answers it.
    ///
    /// Runtime failures (thrown, or a run's `failed` event) go through ``GatewayError/wrap(_:)``
    /// first, which keeps the runtime's code in `details.code`: a provider's rate limit is 429, a
    /// provider's timeout 504, a provider that failed or could not be reached 502, bad input 400,
    /// something missing 404, the rest 500. A gateway refusing runs while it stops is 503.
    static func from(_ error: any Error) -> OpenAIError {
        if let error = error as? OpenAIError { return error }
        let wrapped = GatewayError.wrap(error)
        if wrapped.details["code"]?.stringValue == "AGENT_ELSEWHERE" {
            // 421 Misdirected Request: another gateway serves this agent; the owner's URL says where.
            return OpenAIError(.init(code: 421, reasonPhrase: "Misdirected Request"), wrapped.message, type: "invalid_request_error", code: "agent_elsewhere",
                               owner: wrapped.details["owner"]?.stringValue)
        }
        if let raw = wrapped.details["code"]?.stringValue, let code = AgentRuntimeError.Code(rawValue: raw) {
            return runtime(code, wrapped.message)
        }
        let retryAfter = wrapped.retryAfterMilliseconds.map { max(1, ($0 + 999) / 1000) }
        switch wrapped.code {
        case .invalidRequest: return invalidRequest(wrapped.message, code: wrapped.details["code"]?.stringValue?.lowercased())
        case .forbidden: return OpenAIError(.forbidden, wrapped.message, type: "invalid_request_error", code: "forbidden")
        case .agentTimeout: return OpenAIError(.gatewayTimeout, wrapped.message, type: "api_error", code: "timeout")
        case .agentResultNotFound: return OpenAIError(.notFound, wrapped.message, type: "invalid_request_error", code: "not_found")
        case .unavailable: return OpenAIError(.serviceUnavailable, wrapped.message, type: "server_error", code: "unavailable", retryAfterSeconds: retryAfter)
        }
    }

    private static func runtime(_ code: AgentRuntimeError.Code, _ message: String) -> OpenAIError {
        switch code {
        case .rateLimited: OpenAIError(.tooManyRequests, message, type: "rate_limit_error", code: code.rawValue)
        case .timeout: OpenAIError(.gatewayTimeout, message, type: "api_error", code: code.rawValue)
        case .provider, .connection, .authentication, .missingCredentials, .secretUnavailable:
            OpenAIError(.badGateway, message, type: "api_error", code: code.rawValue)
        case .invalidArgument, .alreadyExists, .inFlight, .limitExceeded: invalidRequest(message, code: code.rawValue)
        case .notFound: OpenAIError(.notFound, message, type: "invalid_request_error", code: code.rawValue)
        case .aborted, .interrupted, .turnLimit, .storage, .unusableDatabase, .readOnly, .notPlaced: OpenAIError(.internalServerError, message, type: "server_error", code: code.rawValue)
        }
    }

    /// The 413 of a body over `limit` bytes (``GatewayConfiguration/openAIMaxBodyBytes``).
    static func tooLarge(limit: Int) -> OpenAIError {
        OpenAIError(.contentTooLarge, "the request body is larger than \(limit) bytes", type: "invalid_request_error", code: "request_too_large")
    }
}
