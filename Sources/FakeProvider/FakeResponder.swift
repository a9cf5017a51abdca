import Foundation
import Hummingbird

/// The request context: Hummingbird's basics plus a way to drop the connection.
struct FakeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Closes the request's connection without a response.
    let closeConnection: @Sendable () -> Void

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        let channel = source.channel
        self.closeConnection = { channel.close(promise: nil) }
    }
}

/// Answers every HTTP request of the fake provider.
struct FakeResponder: HTTPResponder {
    typealias Context = FakeRequestContext

    /// Largest request body accepted.
    static let maxBodySize = 64 << 20

    let state: FakeProviderState

    func respond(to request: Request, context: FakeRequestContext) async throws -> Response {
        let path = request.uri.path
        guard request.method == .post, let format = Self.format(forPath: path) else {
            let message = "Unknown route: \(request.method.rawValue) \(path)"
            return Self.json(status: 404, FakeWire.anthropicError(type: "not_found_error", message: message))
        }

        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBodySize)
        let body = Data(buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [])
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let stream = object?["stream"] as? Bool ?? false
        let headers = Self.headerDictionary(request.headers)
        let recorded = FakeRecordedRequest(
            format: format,
            path: path,
            headers: headers,
            body: body,
            stream: stream,
            apiKey: Self.apiKey(headers, format: format)
        )

        let (admission, latency) = state.admit(recorded, bodyIsValid: object != nil)
        if latency > .zero {
            try await Task.sleep(for: latency)
        }

        let reply: FakeReply
        let sequence: Int
        switch admission {
        case .keyRule(let rule):
            return Self.keyRuleResponse(format: format, rule: rule)
        case .badRequest:
            let message = "We could not parse the JSON body of your request."
            return Self.errorResponse(format: format, status: 400, type: "invalid_request_error", message: message)
        case .reply(let scripted, let number):
            reply = scripted
            sequence = number
        }

        if case .error(let status, let type, let message) = reply {
            return Self.errorResponse(format: format, status: status, type: type, message: message)
        }
        guard let content = FakeReplyContent(reply) else {
            return Self.json(status: 500, FakeWire.anthropicError(type: "api_error", message: "unrenderable reply"))
        }
        let stalling: Bool
        if case .stall = reply { stalling = true } else { stalling = false }

        let answer = FakeAnswerContext(
            sequence: sequence,
            model: object?["model"] as? String ?? "fake-model",
            promptTokens: max(1, body.count / 4),
            created: Int(Date().timeIntervalSince1970),
            includeUsage: (object?["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        )

        if !stream {
            if stalling {
                // Never answer: wait until the client goes away or the provider stops.
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    await self.state.waitUntilStopped()
                }
                // Close the connection first so Hummingbird's 500 for the thrown error goes nowhere.
                context.closeConnection()
                throw FakeProviderError.stallEnded
            }
            switch format {
            case .openAICompletions: return Self.json(status: 200, FakeWire.openAICompletion(content, answer))
            case .anthropicMessages: return Self.json(status: 200, FakeWire.anthropicMessage(content, answer))
            }
        }

        let events: [String]
        switch format {
        case .openAICompletions: events = FakeWire.openAIStream(content, answer, stalling: stalling)
        case .anthropicMessages: events = FakeWire.anthropicStream(content, answer, stalling: stalling)
        }
        let pause = latency > .zero
        let state = state
        let stalledRequest = request
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                for (offset, event) in events.enumerated() {
                    if pause && offset > 0 {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    try await writer.write(ByteBuffer(string: event))
                }
                if stalling {
                    // Keep the body open; end the connection without finishing it.
                    try await stalledRequest.body.consumeWithCancellationOnInboundClose { _ in
                        await state.waitUntilStopped()
                    }
                    throw FakeProviderError.stallEnded
                }
                try await writer.finish(nil)
            }
        )
    }

    /// The wire format served at `path`, if any.
    static func format(forPath path: String) -> FakeWireFormat? {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        switch path {
        case "/v1/chat/completions", "/chat/completions": return .openAICompletions
        case "/v1/messages", "/messages": return .anthropicMessages
        default: return nil
        }
    }

    /// Headers by lowercased name; repeated headers joined with ", ".
    static func headerDictionary(_ fields: HTTPFields) -> [String: String] {
        var headers: [String: String] = [:]
        for field in fields {
            let name = field.name.canonicalName.lowercased()
            if let existing = headers[name] {
                headers[name] = existing + ", " + field.value
            } else {
                headers[name] = field.value
            }
        }
        return headers
    }

    /// The API key: the format's own header first (`authorization: Bearer` for OpenAI,
    /// `x-api-key` for Anthropic), then the other one.
    static func apiKey(_ headers: [String: String], format: FakeWireFormat) -> String? {
        var bearer: String?
        if let authorization = headers["authorization"] {
            let trimmed = authorization.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("bearer ") {
                bearer = String(trimmed.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            }
        }
        let xAPIKey = headers["x-api-key"]?.trimmingCharacters(in: .whitespaces)
        switch format {
        case .openAICompletions: return bearer ?? xAPIKey
        case .anthropicMessages: return xAPIKey ?? bearer
        }
    }

    /// The canned error of a key rule, in the format's shape.
    static func keyRuleResponse(format: FakeWireFormat, rule: FakeKeyRule) -> Response {
        switch (format, rule) {
        case (.openAICompletions, .rateLimited):
            let body = FakeWire.openAIError(type: "rate_limit_error", message: "Rate limit reached for requests (429)", code: "rate_limit_exceeded")
            return json(status: 429, body)
        case (.openAICompletions, .unauthorized):
            let body = FakeWire.openAIError(type: "invalid_request_error", message: "Incorrect API key provided", code: "invalid_api_key")
            return json(status: 401, body)
        case (.anthropicMessages, .rateLimited):
            return json(status: 429, FakeWire.anthropicError(type: "rate_limit_error", message: "Rate limit exceeded (429)"))
        case (.anthropicMessages, .unauthorized):
            return json(status: 401, FakeWire.anthropicError(type: "authentication_error", message: "invalid x-api-key"))
        }
    }

    /// An error with the given status, type and message, in the format's shape.
    static func errorResponse(format: FakeWireFormat, status: Int, type: String, message: String) -> Response {
        switch format {
        case .openAICompletions: json(status: status, FakeWire.openAIError(type: type, message: message, code: nil))
        case .anthropicMessages: json(status: status, FakeWire.anthropicError(type: type, message: message))
        }
    }

    /// A complete JSON response.
    static func json(status: Int, _ body: String) -> Response {
        Response(
            status: responseStatus(status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// The status with its usual reason phrase; codes outside 100...599 become 500.
    static func responseStatus(_ code: Int) -> HTTPResponse.Status {
        guard (100...599).contains(code) else { return .internalServerError }
        let phrases: [Int: String] = [
            200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            408: "Request Timeout", 409: "Conflict", 413: "Content Too Large", 422: "Unprocessable Content",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout", 529: "Overloaded",
        ]
        return HTTPResponse.Status(code: code, reasonPhrase: phrases[code] ?? "")
    }
}
