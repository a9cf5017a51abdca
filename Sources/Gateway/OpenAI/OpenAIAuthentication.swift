import Foundation
import Hummingbird

extension OpenAIRoutes {
    /// Checks `Authorization: Bearer <token>` against the gateway token (in constant time), with
    /// the WebSocket handshake's limit on failures per peer address: past it, even the right
    /// token gets 429 and `Retry-After` until the window passes.
    /// - throws: ``OpenAIError`` 401 (missing or wrong token) or 429.
    func authenticate(_ headers: HTTPFields, peer: String) throws(OpenAIError) {
        let limiter = gateway.authFailures
        if let wait = limiter.retryAfter(peer) {
            let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
            throw OpenAIError(.tooManyRequests, "too many failed token checks from this address; retry after \(seconds) s",
                              type: "rate_limit_error", code: "auth_rate_limited", retryAfterSeconds: seconds)
        }
        guard let presented = Self.bearer(headers[.authorization]) else {
            limiter.recordFailure(peer)
            throw OpenAIError(.unauthorized, "missing bearer token: send `Authorization: Bearer <gateway token>` (`openclaw gateway token` prints it)",
                              type: "invalid_request_error", code: "missing_api_key")
        }
        guard gateway.token.matches(presented) else {
            limiter.recordFailure(peer)
            throw OpenAIError(.unauthorized, "invalid bearer token: it is not this gateway's token (check OPENCLAW_GATEWAY_TOKEN or `openclaw gateway token`)",
                              type: "authentication_error", code: "invalid_api_key")
        }
        limiter.recordSuccess(peer)
    }

    /// The token of an `Authorization: Bearer <token>` value (the scheme in any case).
    static func bearer(_ value: String?) -> String? {
        guard let value else { return nil }
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
