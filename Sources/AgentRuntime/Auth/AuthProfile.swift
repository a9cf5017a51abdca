import Foundation

/// Where a secret comes from when a profile holds a reference instead of the secret.
public struct SecretRef: Sendable, Equatable {
    /// The kind of source.
    public enum Source: String, Sendable, CaseIterable {
        /// An environment variable (or `~/.openclaw/.env`) named by `id`.
        case env
        /// A file at the absolute path `id`; its content, trimmed.
        case file
        /// The standard output, trimmed, of the program at the absolute path `id` (no shell).
        case exec
    }

    /// The kind of source.
    public var source: Source
    /// The secrets provider label (kept for OpenClaw compatibility; `default` when absent).
    public var provider: String
    /// The variable name, file path or program path.
    public var id: String

    /// Creates a reference, validating `id` for its source.
    public init(source: Source, provider: String = "default", id: String) throws {
        switch source {
        case .env:
            guard !id.isEmpty, id.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else {
                throw AgentRuntimeError(.invalidArgument, "an env SecretRef id must be a variable name ([A-Za-z0-9_]+), got \(id.debugDescription)")
            }
        case .file, .exec:
            guard id.hasPrefix("/"), !id.contains("\0") else {
                throw AgentRuntimeError(.invalidArgument, "a \(source.rawValue) SecretRef id must be an absolute path, got \(id.debugDescription)")
            }
        }
        self.source = source
        self.provider = provider
        self.id = id
    }

    var json: JSONValue { ["source": .string(source.rawValue), "provider": .string(provider), "id": .string(id)] }

    static func parse(_ value: JSONValue, field: String, profile: String) throws -> SecretRef {
        guard let source = value["source"]?.stringValue.flatMap(Source.init(rawValue:)), let id = value["id"]?.stringValue else {
            throw AgentRuntimeError(.invalidArgument, "profile \(profile): \(field) needs {source: env|file|exec, id}")
        }
        return try SecretRef(source: source, provider: value["provider"]?.stringValue ?? "default", id: id)
    }
}

/// A stored credential.
public enum AuthCredential: Sendable, Equatable {
    /// An API key, or a reference to one.
    case apiKey(key: String?, keyRef: SecretRef?)
    /// A bearer token, or a reference to one, with an optional expiry (ms since 1970).
    case token(token: String?, tokenRef: SecretRef?, expiresAtMilliseconds: Int64?)
    /// OAuth tokens (stored; there is no login flow yet). References are not allowed.
    case oauth(access: String, refresh: String?, expiresAtMilliseconds: Int64?)

    /// `api_key`, `token` or `oauth`.
    public var typeName: String {
        switch self {
        case .apiKey: "api_key"
        case .token: "token"
        case .oauth: "oauth"
        }
    }

    /// When the credential expires, if it does.
    public var expiresAtMilliseconds: Int64? {
        switch self {
        case .apiKey: nil
        case .token(_, _, let expires): expires
        case .oauth(_, _, let expires): expires
        }
    }
}

/// A credential with its profile id (`provider:default`, `provider:work`, ...).
public struct AuthProfile: Sendable, Equatable {
    /// The profile id.
    public var id: String
    /// The provider it authenticates to.
    public var provider: String
    /// The credential.
    public var credential: AuthCredential

    /// Creates a profile, validating it.
    public init(id: String, provider: String, credential: AuthCredential) throws {
        try ModelProviderConfiguration.validateID(provider)
        guard id.hasPrefix(provider + ":"), id.count > provider.count + 1, id.count <= 200,
              id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else {
            throw AgentRuntimeError(.invalidArgument, "invalid profile id \(id.debugDescription): use <provider>:<name>, like \(provider):default")
        }
        switch credential {
        case .apiKey(let key, let ref):
            guard (key != nil) != (ref != nil) else { throw AgentRuntimeError(.invalidArgument, "profile \(id): an api_key profile needs exactly one of key or keyRef") }
            if let key { try Self.validateSecret(key, profile: id) }
        case .token(let token, let ref, _):
            guard (token != nil) != (ref != nil) else { throw AgentRuntimeError(.invalidArgument, "profile \(id): a token profile needs exactly one of token or tokenRef") }
            if let token { try Self.validateSecret(token, profile: id) }
        case .oauth(let access, _, _):
            try Self.validateSecret(access, profile: id)
        }
        self.id = id
        self.provider = provider
        self.credential = credential
    }

    static func validateSecret(_ secret: String, profile: String) throws {
        guard !secret.isEmpty, secret.utf8.count <= 16_384, secret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw AgentRuntimeError(.invalidArgument, "profile \(profile): the secret must be 1 to 16384 printable characters without spaces")
        }
    }

    /// The canonical JSON (with the secret: only for the credential store).
    var storeJSON: JSONValue {
        var object: [String: JSONValue] = ["type": .string(credential.typeName), "provider": .string(provider)]
        switch credential {
        case .apiKey(let key, let ref):
            if let key { object["key"] = .string(key) }
            if let ref { object["keyRef"] = ref.json }
        case .token(let token, let ref, let expires):
            if let token { object["token"] = .string(token) }
            if let ref { object["tokenRef"] = ref.json }
            if let expires { object["expires"] = .int64(expires) }
        case .oauth(let access, let refresh, let expires):
            object["access"] = .string(access)
            if let refresh { object["refresh"] = .string(refresh) }
            if let expires { object["expires"] = .int64(expires) }
        }
        return .object(object)
    }

    /// Parses one profile of the canonical store.
    static func parse(id: String, _ value: JSONValue) throws -> AuthProfile {
        guard let type = value["type"]?.stringValue, let provider = value["provider"]?.stringValue else {
            throw AgentRuntimeError(.invalidArgument, "profile \(id): needs type and provider")
        }
        let expires = value["expires"]?.intValue.map(Int64.init)
        let credential: AuthCredential
        switch type {
        case "api_key":
            credential = .apiKey(key: value["key"]?.stringValue, keyRef: try value["keyRef"].map { try SecretRef.parse($0, field: "keyRef", profile: id) })
        case "token":
            credential = .token(token: value["token"]?.stringValue, tokenRef: try value["tokenRef"].map { try SecretRef.parse($0, field: "tokenRef", profile: id) },
                                expiresAtMilliseconds: expires)
        case "oauth":
            if value["keyRef"] != nil || value["tokenRef"] != nil || value["accessRef"] != nil {
                throw AgentRuntimeError(.invalidArgument, "profile \(id): OAuth profiles do not support SecretRef credentials")
            }
            guard let access = value["access"]?.stringValue else { throw AgentRuntimeError(.invalidArgument, "profile \(id): an oauth profile needs access") }
            credential = .oauth(access: access, refresh: value["refresh"]?.stringValue, expiresAtMilliseconds: expires)
        default:
            throw AgentRuntimeError(.invalidArgument, "profile \(id): unknown credential type \(type.debugDescription) (use api_key, token or oauth)")
        }
        return try AuthProfile(id: id, provider: provider, credential: credential)
    }
}
