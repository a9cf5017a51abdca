import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Sends one model request over HTTP with one credential: streaming or not, with the provider's
/// timeout (for the response head and for every silence in the body) and bounded retries with
/// exponential backoff on 5xx answers and connection failures (never after text was streamed).
struct ProviderClient: Sendable {
    /// The first backoff; doubled per retry, with jitter, capped at 5 s.
    var initialBackoff: Duration = .milliseconds(250)
    /// The largest error body read.
    static let maxErrorBody = 64 * 1024
    /// The largest answer body read.
    static let maxAnswerBody = 32 << 20

    func send(_ request: ModelRequest, provider: ModelProviderConfiguration, credential: Credential,
              onText: @escaping @Sendable (String) -> Void) async throws -> ModelResponse {
        let streamed = LockedValue(false)
        var attempt = 0
        while true {
            do {
                return try await attemptOnce(request, provider: provider, credential: credential) { text in
                    streamed.withLock { $0 = true }
                    onText(text)
                }
            } catch let error as AgentRuntimeError {
                let retryable = error.code == .connection || (error.code == .provider && (error.httpStatus ?? 0) >= 500)
                guard retryable, attempt < provider.maxRetries, !streamed.withLock({ $0 }), !Task.isCancelled else { throw error }
                attempt += 1
                let baseMilliseconds = Int(initialBackoff / .milliseconds(1)) << (attempt - 1)
                let jittered = baseMilliseconds + Int.random(in: 0...(baseMilliseconds / 4 + 1))
                try await Task.sleep(for: .milliseconds(min(jittered, 5000)))
            }
        }
    }

    private func attemptOnce(_ request: ModelRequest, provider: ModelProviderConfiguration, credential: Credential,
                             onText: @escaping @Sendable (String) -> Void) async throws -> ModelResponse {
        var http = HTTPClientRequest(url: WireFormat.endpoint(provider))
        http.method = .POST
        for (name, value) in WireFormat.headers(provider, credential: credential) { http.headers.add(name: name, value: value) }
        if request.stream { http.headers.add(name: "accept", value: "text/event-stream") }
        http.body = .bytes(ByteBuffer(bytes: WireFormat.encode(request, api: provider.api)))
        let response: HTTPClientResponse
        do {
            // The deadline is for the answer's head; the client's read timeout bounds every
            // silence, before the head and in the body.
            response = try await ProviderHTTPClients.client(readTimeoutMilliseconds: provider.timeoutMilliseconds)
                .execute(http, timeout: .milliseconds(Int64(provider.timeoutMilliseconds)))
        } catch {
            throw Self.classify(error, provider: provider, secrets: [credential.secret])
        }
        do {
            guard response.status.code == 200 else {
                // The error body, bounded in size (and in time, by the read timeout).
                var collected = ByteBuffer()
                for try await var buffer in response.body {
                    collected.writeBuffer(&buffer)
                    if collected.readableBytes >= Self.maxErrorBody { break }
                }
                throw Self.httpError(status: Int(response.status.code), body: Data(collected.readableBytesView.prefix(Self.maxErrorBody)),
                                     provider: provider, secrets: [credential.secret])
            }
            if request.stream {
                var parser = ServerSentEventParser()
                var accumulator = StreamAccumulator(api: provider.api)
                for try await buffer in response.body {
                    for event in try parser.feed(buffer.readableBytesView) {
                        if let text = try accumulator.consume(event) { onText(text) }
                    }
                }
                if let last = parser.finish(), let text = try accumulator.consume(last) { onText(text) }
                return try accumulator.response()
            }
            var collected = ByteBuffer()
            for try await var buffer in response.body {
                guard collected.readableBytes + buffer.readableBytes <= Self.maxAnswerBody else {
                    throw AgentRuntimeError(.provider, "the provider's answer is larger than \(Self.maxAnswerBody) bytes")
                }
                collected.writeBuffer(&buffer)
            }
            return try WireFormat.decode(Data(collected.readableBytesView), api: provider.api)
        } catch {
            throw Self.classify(error, provider: provider, secrets: [credential.secret])
        }
    }

    /// Words in an error that mean "rate limited" (the documented list), matched as whole words.
    static let rateLimitMarkers = [
        "rate_limit", "rate limit", "ratelimit", "429", "quota exceeded", "quota", "resource exhausted", "resource_exhausted",
        "too many requests", "too many concurrent requests", "throttlingexception", "throttled", "concurrency limit reached",
    ]

    private static let rateLimitMarkerBytes = rateLimitMarkers.map { Array($0.utf8) }

    /// Whether an error message or status means a rate limit: HTTP 429, or a marker standing as a
    /// word of its own (so `max_tokens 42900` or `quotas.md` do not count).
    static func isRateLimit(status: Int?, message: String) -> Bool {
        if status == 429 { return true }
        let lowered = Array(message.lowercased().utf8)
        func isWordByte(_ byte: UInt8) -> Bool { (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) }
        for marker in rateLimitMarkerBytes where marker.count <= lowered.count {
            for start in 0...(lowered.count - marker.count) where lowered[start] == marker[0] {
                guard Array(lowered[start..<(start + marker.count)]) == marker else { continue }
                let before = start == 0 || !isWordByte(lowered[start - 1])
                let end = start + marker.count
                let after = end == lowered.count || !isWordByte(lowered[end])
                if before && after { return true }
            }
        }
        return false
    }

    static func httpError(status: Int, body: Data, provider: ModelProviderConfiguration, secrets: [String]) -> AgentRuntimeError {
        let message = Redaction.redact(WireFormat.errorMessage(body), secrets: secrets)
        let text = "provider '\(provider.id)' answered HTTP \(status): \(message)"
        if isRateLimit(status: status, message: message) { return AgentRuntimeError(.rateLimited, text, httpStatus: status) }
        if status == 401 || status == 403 { return AgentRuntimeError(.authentication, text, httpStatus: status) }
        return AgentRuntimeError(.provider, text, httpStatus: status)
    }

    static func classify(_ error: any Error, provider: ModelProviderConfiguration, secrets: [String]) -> AgentRuntimeError {
        if var error = error as? AgentRuntimeError {
            // Mid-stream errors quote the provider; a proxy may echo the credential.
            error.message = Redaction.redact(error.message, secrets: secrets)
            return error
        }
        if error is CancellationError || Task.isCancelled { return AgentRuntimeError(.aborted, "the run was aborted") }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded:
                return AgentRuntimeError(.timeout, "provider '\(provider.id)' did not answer within \(provider.timeoutMilliseconds) ms")
            case .readTimeout:
                return AgentRuntimeError(.timeout, "provider '\(provider.id)' sent nothing for \(provider.timeoutMilliseconds) ms")
            case .cancelled:
                return AgentRuntimeError(.aborted, "the run was aborted")
            default: break
            }
        }
        let detail = Redaction.redact(String(describing: error), secrets: secrets)
        return AgentRuntimeError(.connection, "cannot reach provider '\(provider.id)' at \(provider.baseURL): \(detail)")
    }
}

/// A value shared between tasks behind a lock.
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
