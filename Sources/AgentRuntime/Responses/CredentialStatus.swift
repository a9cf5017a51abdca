import Foundation

/// The credentials one provider would use, classified: what `openclaw models status` prints and
/// what a server reports for a provider. Secrets appear only masked.
public struct ProviderCredentialStatus: Sendable, Equatable, Encodable {
    /// The provider's standing, worst first.
    public enum Standing: String, Sendable, Encodable {
        /// No usable credential, and one was skipped as expired.
        case expired
        /// No usable credential.
        case missing
        /// The first credential expires within ``ProviderCredentialStatus/expiringWindowMilliseconds``.
        case expiring
        /// A usable credential that does not expire soon.
        case ok
    }

    /// One credential, usable or skipped.
    public struct Entry: Sendable, Equatable, Encodable {
        /// The profile id or `env:NAME`.
        public var label: String
        /// `api_key` or `token` (usable credentials).
        public var type: String?
        /// The secret masked (usable credentials).
        public var masked: String?
        /// `env` or `profile` (usable credentials).
        public var source: String?
        /// When it expires, if it does.
        public var expiresAtMs: Int64?
        /// Why it was skipped (skipped credentials): `expired`, `excluded_by_auth_order`, ...
        public var status: String?
        /// Details for people (skipped credentials).
        public var detail: String?
        /// The outcome of a one-token request with it, when probed.
        public var probe: ProbeOutcome?
    }

    /// The outcome of a probe: `ok`, `no_model`, or the error code of the failure.
    public struct ProbeOutcome: Sendable, Equatable, Encodable {
        public var status: String
        public var message: String?

        public init(status: String, message: String? = nil) {
            self.status = status
            self.message = message
        }

        /// The outcome of a probe that failed with `failure`, or `ok` when it is `nil`.
        public init(_ failure: AgentRuntimeError?) {
            self.init(status: failure?.code.rawValue ?? "ok", message: failure?.message)
        }
    }

    /// A credential expiring within this window makes the provider ``Standing/expiring`` (24 h).
    public static let expiringWindowMilliseconds: Int64 = 24 * 3_600_000

    public var id: String
    public var api: String
    public var baseUrl: String
    public var status: Standing
    /// The usable credentials first, in the order they would be tried, then the skipped ones.
    public var credentials: [Entry]

    /// Classifies what ``CredentialResolver`` found for `provider` at `now`.
    public init(provider: ModelProviderConfiguration, usable: [Credential], skipped: [SkippedCredential], now: Int64) {
        id = provider.id
        api = provider.api.rawValue
        baseUrl = provider.baseURL
        if usable.isEmpty {
            status = skipped.contains { $0.reason == "expired" } ? .expired : .missing
        } else if let expires = usable[0].expiresAtMilliseconds, expires - now < Self.expiringWindowMilliseconds {
            status = .expiring
        } else {
            status = .ok
        }
        credentials = usable.map { credential in
            Entry(label: credential.label, type: credential.kind.rawValue, masked: credential.masked,
                  source: credential.profileID == nil ? "env" : "profile", expiresAtMs: credential.expiresAtMilliseconds)
        } + skipped.map { Entry(label: $0.label, status: $0.reason, detail: $0.detail) }
    }

    /// Whether no credential can be used (missing or expired).
    public var isUnusable: Bool { status == .missing || status == .expired }
}

/// `openclaw models status --json`: the agent, its default model and each checked provider.
public struct ModelsStatusReport: Sendable, Equatable, Encodable {
    public var agentId: String
    /// `null` when the agent has no default model.
    @NullWhenAbsent public var defaultModel: String?
    public var providers: [ProviderCredentialStatus]

    public init(agentId: String, defaultModel: String?, providers: [ProviderCredentialStatus]) {
        self.agentId = agentId
        self.defaultModel = defaultModel
        self.providers = providers
    }
}

extension AgentRuntime {
    /// The credentials `provider` would use for `model`, classified at `now`.
    public func credentialStatus(of provider: ModelProviderConfiguration, model: String?,
                                 now: Int64 = RuntimeClock.milliseconds()) async throws -> (status: ProviderCredentialStatus, usable: [Credential]) {
        let (usable, skipped) = try await credentials(provider: provider.id, model: model)
        return (ProviderCredentialStatus(provider: provider, usable: usable, skipped: skipped, now: now), usable)
    }
}
