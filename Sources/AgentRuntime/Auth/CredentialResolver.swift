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
        let plan = plan(provider: provider, model: model, profiles: profiles, state: state, now: now)
        let resolver = SecretResolver(environment: environment)
        var secrets: [String: Result<String, AgentRuntimeError>] = [:]
        for (profile, ref) in plan.references {
            do { secrets[profile] = .success(try await resolver.resolve(ref)) } catch { secrets[profile] = .failure(AgentRuntimeError.wrap(error)) }
        }
        return plan.credentials(secrets: secrets)
    }

    /// The candidates as ``candidates(provider:model:profiles:state:now:)`` orders them, resolved
    /// synchronously (a secret file is read in place), or `nil` when a secret of one of them comes
    /// from a program, which only the async form runs.
    func candidatesWithoutPrograms(provider: String, model: String?, profiles: [AuthProfile], state: AuthState,
                                   now: Int64 = RuntimeClock.milliseconds()) -> (usable: [Credential], skipped: [SkippedCredential])? {
        let plan = plan(provider: provider, model: model, profiles: profiles, state: state, now: now)
        guard !plan.references.contains(where: { $0.ref.source == .exec }) else { return nil }
        let resolver = SecretResolver(environment: environment)
        var secrets: [String: Result<String, AgentRuntimeError>] = [:]
        for (profile, ref) in plan.references {
            do { secrets[profile] = .success(try resolver.resolveWithoutProgram(ref)) } catch { secrets[profile] = .failure(AgentRuntimeError.wrap(error)) }
        }
        return plan.credentials(secrets: secrets)
    }

    /// The profiles to try in order, what is skipped before any secret is read, and the secret
    /// references to resolve (by profile id).
    private struct Plan {
        var forced: [Credential]?
        var ordered: [AuthProfile] = []
        var skipped: [SkippedCredential] = []
        var references: [(profile: String, ref: SecretRef)] = []
        var environmentKeys: [(variable: String, value: String)] = []

        func credentials(secrets: [String: Result<String, AgentRuntimeError>]) -> (usable: [Credential], skipped: [SkippedCredential]) {
            if let forced { return (forced, skipped) }
            var skipped = self.skipped
            var usable: [Credential] = []
            var seen: Set<String> = []
            for profile in ordered {
                let credential: Credential
                do {
                    switch profile.credential {
                    case .apiKey(let key, _):
                        credential = Credential(source: .profile(profile.id), kind: .apiKey, secret: try Self.secret(key, secrets[profile.id], profile.id))
                    case .token(let token, _, let expires):
                        credential = Credential(source: .profile(profile.id), kind: .bearerToken, secret: try Self.secret(token, secrets[profile.id], profile.id),
                                                expiresAtMilliseconds: expires)
                    case .oauth(let access, _, let expires):
                        credential = Credential(source: .profile(profile.id), kind: .bearerToken, secret: access, expiresAtMilliseconds: expires)
                    }
                } catch {
                    skipped.append(SkippedCredential(label: profile.id, reason: "secret_unavailable", detail: AgentRuntimeError.wrap(error).message))
                    continue
                }
                if seen.insert(credential.secret).inserted { usable.append(credential) }
            }
            for key in environmentKeys where seen.insert(key.value).inserted {
                usable.append(Credential(source: .environment(key.variable), kind: .apiKey, secret: key.value))
            }
            return (usable, skipped)
        }

        private static func secret(_ inline: String?, _ resolved: Result<String, AgentRuntimeError>?, _ profile: String) throws -> String {
            if let inline { return inline }
            guard let resolved else { throw AgentRuntimeError(.secretUnavailable, "profile \(profile) holds neither a secret nor a reference") }
            return try resolved.get()
        }
    }

    private func plan(provider: String, model: String?, profiles: [AuthProfile], state: AuthState, now: Int64) -> Plan {
        let env = environment.apiKeys(provider: provider)
        var plan = Plan()
        if env.forced {
            plan.skipped = profiles.filter { $0.provider == provider }.map {
                SkippedCredential(label: $0.id, reason: "overridden", detail: "OPENCLAW_LIVE_\(RuntimeEnvironment.prefix(of: provider))_KEY is set")
            }
            plan.forced = env.keys.map { Credential(source: .environment($0.variable), kind: .apiKey, secret: $0.value) }
            return plan
        }
        let own = profiles.filter { $0.provider == provider }
        var ordered: [AuthProfile]
        if let order = state.order[provider] {
            ordered = order.compactMap { id in own.first { $0.id == id } }
            for profile in own where !order.contains(profile.id) {
                plan.skipped.append(SkippedCredential(label: profile.id, reason: "excluded_by_auth_order", detail: "not in the auth order for \(provider)"))
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
        for profile in ordered {
            if let expires = profile.credential.expiresAtMilliseconds, expires <= now {
                plan.skipped.append(SkippedCredential(label: profile.id, reason: "expired", detail: "expired at \(RuntimeClock.iso8601(milliseconds: expires))"))
                continue
            }
            plan.ordered.append(profile)
            switch profile.credential {
            case .apiKey(nil, let ref?), .token(nil, let ref?, _): plan.references.append((profile.id, ref))
            default: break
            }
        }
        plan.environmentKeys = env.keys.map { ($0.variable, $0.value) }
        return plan
    }
}
