import AgentRuntime
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A plain HTTP answer, its body read whole.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String

    /// The body as JSON (`nil` when it is not JSON).
    var json: JSONValue? { try? JSONValue.parse(body) }

    /// The `error` object of an OpenAI error body.
    var error: JSONValue? { json?["error"] }

    /// The `data: ...` payloads of a server-sent-event body, in order (`[DONE]` included).
    var events: [String] {
        body.components(separatedBy: "\n\n").compactMap { block in
            block.hasPrefix("data: ") ? String(block.dropFirst("data: ".count)) : nil
        }
    }
}

/// Hand-made requests to a gateway's HTTP routes.
struct OpenAIHTTP: Sendable {
    let base: String
    let token: String?

    init(_ fixture: GatewayFixture, token: String?? = .none) {
        base = fixture.httpURL
        switch token {
        case .none: self.token = fixture.token
        case .some(let value): self.token = value
        }
    }

    /// Sends a request and reads the whole answer.
    func send(_ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body? = nil, headers: [(String, String)] = []) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = body
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 32 << 20)
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// `POST /v1/chat/completions` with `json` as the body.
    func complete(_ json: JSONValue, headers: [(String, String)] = []) async throws -> HTTPAnswer {
        try await send(.POST, "/v1/chat/completions", body: .bytes(ByteBuffer(string: json.jsonText)), headers: headers)
    }

    /// `POST /v1/chat/completions` with a raw body.
    func complete(raw: String, headers: [(String, String)] = []) async throws -> HTTPAnswer {
        try await send(.POST, "/v1/chat/completions", body: .bytes(ByteBuffer(string: raw)), headers: headers)
    }

    /// A request body with one user message.
    static func body(_ text: String, model: String = "openclaw", stream: Bool = false, user: String? = nil) -> JSONValue {
        var body: [String: JSONValue] = ["model": .string(model), "messages": [["role": "user", "content": .string(text)]]]
        if stream { body["stream"] = true }
        if let user { body["user"] = .string(user) }
        return .object(body)
    }
}
