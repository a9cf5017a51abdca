import AgentRuntime
import VFS
import Foundation

/// A failure answered to a client: the `error` object of a `res` frame, and for a handshake
/// failure the close code that follows it.
///
/// `{code, message, details?, retryable?, retryAfterMs?}`; `code` is one of OpenClaw's
/// (`INVALID_REQUEST`, `FORBIDDEN`, `UNAVAILABLE`, ...), `details.code` the specific reason
/// (`AUTH_TOKEN_MISMATCH`, `MISSING_SCOPE`, ...). A message never holds a token.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The protocol's error codes.
    public enum Code: String, Sendable {
        case invalidRequest = "INVALID_REQUEST"
        case forbidden = "FORBIDDEN"
        case unavailable = "UNAVAILABLE"
        case agentTimeout = "AGENT_TIMEOUT"
        case agentResultNotFound = "AGENT_RESULT_NOT_FOUND"
    }

    public var code: Code
    public var message: String
    public var details: [String: JSONValue]
    public var retryable: Bool?
    public var retryAfterMilliseconds: Int?
    /// The WebSocket close code that follows the response, for failures that end the connection.
    public var closeCode: UInt16?

    public init(_ code: Code, _ message: String, details: [String: JSONValue] = [:], retryable: Bool? = nil,
                retryAfterMilliseconds: Int? = nil, closeCode: UInt16? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryable = retryable
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.closeCode = closeCode
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The `error` object of a response.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["code": .string(code.rawValue), "message": .string(message)]
        if !details.isEmpty { object["details"] = .object(details) }
        if let retryable { object["retryable"] = .bool(retryable) }
        if let retryAfterMilliseconds { object["retryAfterMs"] = .int(retryAfterMilliseconds) }
        return .object(object)
    }

    /// `INVALID_REQUEST` "invalid <method> params: <why>".
    static func invalidParams(_ method: String, _ why: String) -> GatewayError {
        GatewayError(.invalidRequest, "invalid \(method) params: \(why)")
    }

    /// A runtime failure as a client sees it: bad input is `INVALID_REQUEST`, the rest
    /// `UNAVAILABLE`; `details` keeps the runtime's code, its errno and its hint.
    static func wrap(_ error: any Error) -> GatewayError {
        if let error = error as? GatewayError { return error }
        let failure = AgentRuntimeError.wrap(error)
        var details: [String: JSONValue] = ["code": .string(failure.code.rawValue)]
        if let errno = failure.errno { details["errno"] = .string(VFSError.name(of: errno)) }
        if let hint = failure.hint { details["hint"] = .string(hint) }
        switch failure.code {
        case .invalidArgument, .notFound, .alreadyExists, .inFlight, .limitExceeded:
            return GatewayError(.invalidRequest, failure.message, details: details)
        case .readOnly, .notPlaced:
            return GatewayError(.unavailable, failure.message, details: details, retryable: false)
        default:
            return GatewayError(.unavailable, failure.message, details: details, retryable: true)
        }
    }
}

/// WebSocket close codes the gateway uses.
public enum GatewayCloseCode {
    /// A normal end (the handshake timer).
    public static let normal: UInt16 = 1000
    /// No common protocol version.
    public static let protocolError: UInt16 = 1002
    /// A policy failure: bad handshake, failed auth, a slow consumer.
    public static let policyViolation: UInt16 = 1008
    /// A message over the limit.
    public static let messageTooBig: UInt16 = 1009
    /// The gateway is shutting down.
    public static let serviceRestart: UInt16 = 1012
}
