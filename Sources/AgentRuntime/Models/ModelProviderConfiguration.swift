import Foundation
import StateStore

/// The wire format a provider speaks.
public enum ModelAPI: String, Sendable, Codable, CaseIterable {
    /// OpenAI Chat Completions (`POST {baseURL}/chat/completions`).
    case openAICompletions = "openai-completions"
    /// Anthropic Messages (`POST {baseURL}/v1/messages`).
    case anthropicMessages = "anthropic-messages"
}

/// A model provider in the catalog: where and how to call it. Credentials are not here; they are
/// auth profiles or environment keys.
public struct ModelProviderConfiguration: Sendable, Equatable {
    /// The provider id (`openai`, `anthropic`, `openrouter`, ...): lowercase letters, digits, `-`, `_`.
    public var id: String
    /// The wire format.
    public var api: ModelAPI
    /// The base URL (`https://api.openai.com/v1`, `https://api.anthropic.com`).
    public var baseURL: String
    /// Extra request headers.
    public var headers: [String: String]
    /// The request timeout: the wait for the response head, and the longest silence in a body.
    public var timeoutMilliseconds: Int
    /// How many times a request is retried after a 5xx answer or a connection failure.
    public var maxRetries: Int
    /// The models it serves.
    public var models: [ModelDescriptor]

    /// The default request timeout: two minutes.
    public static let defaultTimeoutMilliseconds = 120_000
    /// The default number of retries.
    public static let defaultMaxRetries = 2

    /// A configuration read back from the catalog, which validated it when it was stored.
    init(stored id: String, api: ModelAPI, baseURL: String, headers: [String: String], timeoutMilliseconds: Int, maxRetries: Int,
         models: [ModelDescriptor]) {
        self.id = id
        self.api = api
        self.baseURL = baseURL
        self.headers = headers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxRetries = maxRetries
        self.models = models
    }

    /// Creates a provider configuration, validating it.
    public init(id: String, api: ModelAPI, baseURL: String, headers: [String: String] = [:], timeoutMilliseconds: Int = defaultTimeoutMilliseconds,
                maxRetries: Int = defaultMaxRetries, models: [ModelDescriptor] = []) throws {
        try Self.validateID(id)
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw AgentRuntimeError(.invalidArgument, "invalid base URL \(baseURL.debugDescription): use http:// or https:// with a host")
        }
        guard (100...3_600_000).contains(timeoutMilliseconds) else {
            throw AgentRuntimeError(.invalidArgument, "timeout must be between 100 ms and 1 hour")
        }
        guard (0...10).contains(maxRetries) else { throw AgentRuntimeError(.invalidArgument, "retries must be between 0 and 10") }
        for name in headers.keys {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw AgentRuntimeError(.invalidArgument, "invalid header name \(name.debugDescription)")
            }
        }
        for value in headers.values where value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw AgentRuntimeError(.invalidArgument, "header values must not contain CR, LF or NUL")
        }
        self.id = id
        self.api = api
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.headers = headers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxRetries = maxRetries
        self.models = models
    }

    /// Validates a provider id.
    public static func validateID(_ id: String) throws {
        guard Identifier.isValid(id) else {
            throw AgentRuntimeError(.invalidArgument, "invalid provider id \(id.debugDescription): use 1 to 64 characters a-z, 0-9, '-' or '_'")
        }
    }
}

/// A model of a provider.
public struct ModelDescriptor: Sendable, Equatable {
    /// The model id as the provider names it.
    public var id: String
    /// The context window in tokens, if known.
    public var contextWindow: Int?
    /// The largest completion to ask for, in tokens.
    public var maxTokens: Int?

    /// Creates a descriptor, validating the id.
    public init(id: String, contextWindow: Int? = nil, maxTokens: Int? = nil) throws {
        guard (1...200).contains(id.utf8.count), id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw AgentRuntimeError(.invalidArgument, "invalid model id \(id.debugDescription): 1 to 200 characters, no spaces or control characters")
        }
        if let contextWindow, contextWindow <= 0 { throw AgentRuntimeError(.invalidArgument, "context window must be positive") }
        if let maxTokens, maxTokens <= 0 { throw AgentRuntimeError(.invalidArgument, "max tokens must be positive") }
        self.id = id
        self.contextWindow = contextWindow
        self.maxTokens = maxTokens
    }
}

/// `provider/model`.
public struct ModelReference: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The provider id.
    public var provider: String
    /// The model id (may itself contain `/`, as OpenRouter's do).
    public var model: String

    /// Parses `provider/model`.
    public init(_ text: String) throws {
        guard let slash = text.firstIndex(of: "/") else {
            throw AgentRuntimeError(.invalidArgument, "invalid model \(text.debugDescription): use provider/model, like openai/gpt-4o")
        }
        let provider = String(text[..<slash])
        try ModelProviderConfiguration.validateID(provider)
        let model = String(text[text.index(after: slash)...])
        _ = try ModelDescriptor(id: model)
        self.provider = provider
        self.model = model
    }

    /// Creates a reference from its parts.
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    public var description: String { "\(provider)/\(model)" }
}
