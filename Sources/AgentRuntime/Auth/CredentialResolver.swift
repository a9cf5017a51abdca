import Foundation

/// A usable credential for one request.
public struct Credential: Sendable, Equatable {
    /// Where it came from.
    public enum Source: Sendable, Equatable {
        /// A stored auth profile.
        case profile(String)
        /// An environment variable (or `.env`).
        case environment(String)
    }

    /// How it is sent.
    public enum Kind: String, Sendable {
        /// An API key (`x-api-key` for Anthropic, `Authorization: Bearer` for OpenAI).
        case apiKey = "api_key"
        /// A bearer token (`Authorization: Bearer`).
        case bearerToken = "token"
    }

    /// Where it came from.
    public var source: Source
    /// How it is sent.
    public var kind: Kind
    /// The secret. Never printed: use ``masked``.
    public var secret: String
    /// When it expires, if it does.
    public var expiresAtMilliseconds: Int64?

    /// `provider:name` for a profile, `env:NAME` for a variable.
    public var label: String {
        switch source {
        case .profile(let id): id
        case .environment(let name): "env:\(name)"
        }
    }

    /// The profile id, if it came from a profile.
    public var profileID: String? {
        if case .profile(let id) = source { return id }
        return nil
    }

    /// The last four characters behind asterisks (only asterisks for short secrets).
    public var masked: String { Redaction.mask(secret) }
}

/// A profile that is not used, and why.
public struct SkippedCredential: Sendable, Equatable {
    /// The profile id or `env:NAME`.
    public var label: String
    /// `excluded_by_auth_order`, `expired`, `secret_unavailable`, `overridden` (by `OPENCLAW_LIVE_<P>_KEY`).
    public var reason: String
    /// Details for people.
    public var detail: String
}

/// Orders the credentials for a provider: stored profiles first (the explicit auth order if set,
/// else the last one that worked, then `<provider>:default`, then the others by id; profiles
/// cooling down after a rate limit go last), then environment keys in their priority order,
/// deduplicated by secret. `OPENCLAW_LIVE_<P>_KEY` replaces everything.
struct CredentialResolver: Sendable {
    var environment: RuntimeEnvironment

    func candidates(provider: String, model: String?, profiles: [AuthProfile], state: AuthState,
                    now: Int64 = RuntimeClock.milliseconds()) async -> (usable: [Credential], skipped: [SkippedCredential]) {
        let env = environment.apiKeys(provider: provider)
        if env.forced {
            let skipped = profiles.filter { $0.provider == provider }.map {
                SkippedCredential(label: $0.id, reason: "overridden", detail: "OPENCLAW_LIVE_\(RuntimeEnvironment.prefix(of: provider))_KEY is set")
            }
            return (env.keys.map { Credential(source: .environment($0.variable), kind: .apiKey, secret: $0.value) }, skipped)
        }
        var skipped: [SkippedCredential] = []
        let own = profiles.filter { $0.provider == provider }
        var ordered: [AuthProfile]
        if let order = state.order[provider] {
            ordered = order.compactMap { id in own.first { $0.id == id } }
            for profile in own where !order.contains(profile.id) {
                skipped.append(SkippedCredential(label: profile.id, reason: "excluded_by_auth_order", detail: "not in the auth order for \(provider)"))
            }
        } else {
            let lastGood = state.lastGood[provider]
            ordered = own.sorted { lhs, rhs in
                func rank(_ profile: AuthProfile) -> Int {
                    profile.id == lastGood ? 0 : profile.id == "\(provider):default" ? 1 : 2
                }
                return (rank(lhs), lhs.id) < (rank(rhs), rhs.id)
            }
        }
        let cooling = ordered.filter { state.usage[$0.id]?.isCoolingDown(model: model, now: now) == true }
        ordered = ordered.filter { state.usage[$0.id]?.isCoolingDown(model: model, now: now) != true } + cooling

        let resolver = SecretResolver(environment: environment)
        var usable: [Credential] = []
        var seen: Set<String> = []
        for profile in ordered {
            if let expires = profile.credential.expiresAtMilliseconds, expires <= now {
                skipped.append(SkippedCredential(label: profile.id, reason: "expired", detail: "expired at \(RuntimeClock.iso8601(milliseconds: expires))"))
                continue
            }
            let credential: Credential
            do {
                switch profile.credential {
                case .apiKey(let key, let ref):
                    credential = Credential(source: .profile(profile.id), kind: .apiKey, secret: try await Self.secret(key, ref, resolver, profile.id))
                case .token(let token, let ref, let expires):
                    credential = Credential(source: .profile(profile.id), kind: .bearerToken, secret: try await Self.secret(token, ref, resolver, profile.id), expiresAtMilliseconds: expires)
                case .oauth(let access, _, let expires):
                    credential = Credential(source: .profile(profile.id), kind: .bearerToken, secret: access, expiresAtMilliseconds: expires)
                }
            } catch {
                skipped.append(SkippedCredential(label: profile.id, reason: "secret_unavailable", detail: AgentRuntimeError.wrap(error).message))
                continue
            }
            if seen.insert(credential.secret).inserted { usable.append(credential) }
        }
        for key in env.keys where seen.insert(key.value).inserted {
            usable.append(Credential(source: .environment(key.variable), kind: .apiKey, secret: key.value))
        }
        return (usable, skipped)
    }

    private static func secret(_ inline: String?, _ ref: SecretRef?, _ resolver: SecretResolver, _ profile: String) async throws -> String {
        if let inline { return inline }
        guard let ref else { throw AgentRuntimeError(.secretUnavailable, "profile \(profile) holds neither a secret nor a reference") }
        return try await resolver.resolve(ref)
    }
}
