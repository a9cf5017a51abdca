import Foundation
import GRDB
import Storage

/// Usage of one profile: when it last worked and whether it is cooling down after rate limits.
public struct ProfileUsage: Sendable, Equatable {
    /// When it was last used successfully.
    public var lastUsedAtMilliseconds: Int64?
    /// Consecutive rate-limit failures.
    public var errorCount: Int
    /// Until when the profile is tried last, per model id (`*` for every model of the provider):
    /// a profile cooling down for one model is still first for a sibling model.
    public var cooldowns: [String: Int64] = [:]

    /// The key of a provider-wide cooldown.
    public static let allModels = "*"

    /// Whether the profile is cooling down for `model` at `now`.
    public func isCoolingDown(model: String?, now: Int64) -> Bool {
        [model ?? Self.allModels, Self.allModels].contains { (cooldowns[$0] ?? 0) > now }
    }
}

/// The usage state document `{order, lastGood, usageStats}`, stored apart from the credentials.
public struct AuthState: Sendable, Equatable {
    /// Explicit profile order per provider.
    public var order: [String: [String]] = [:]
    /// The profile that last worked, per provider.
    public var lastGood: [String: String] = [:]
    /// Usage per profile id.
    public var usage: [String: ProfileUsage] = [:]

    var json: JSONValue {
        .object([
            "order": .object(order.mapValues { .array($0.map(JSONValue.string)) }),
            "lastGood": .object(lastGood.mapValues(JSONValue.string)),
            "usageStats": .object(usage.mapValues { usage in
                var object: [String: JSONValue] = ["errorCount": .int(usage.errorCount)]
                if let last = usage.lastUsedAtMilliseconds { object["lastUsed"] = .int64(last) }
                if !usage.cooldowns.isEmpty { object["cooldowns"] = .object(usage.cooldowns.mapValues(JSONValue.int64)) }
                return .object(object)
            }),
        ])
    }

    static func parse(_ value: JSONValue) -> AuthState {
        var state = AuthState()
        for (provider, ids) in value["order"]?.objectValue ?? [:] {
            state.order[provider] = ids.arrayValue?.compactMap(\.stringValue) ?? []
        }
        state.lastGood = value["lastGood"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        for (id, stats) in value["usageStats"]?.objectValue ?? [:] {
            var usage = ProfileUsage(lastUsedAtMilliseconds: stats["lastUsed"]?.intValue.map(Int64.init), errorCount: stats["errorCount"]?.intValue ?? 0)
            for (model, until) in stats["cooldowns"]?.objectValue ?? [:] {
                if let until = until.intValue { usage.cooldowns[model] = Int64(until) }
            }
            state.usage[id] = usage
        }
        return state
    }
}

/// The agent's credential store (`auth_profile_store`, canonical `{version, profiles}`) and its
/// usage state (`auth_profile_state`, `{order, lastGood, usageStats}`).
public final class AuthProfileStore: Sendable {
    /// The store document version this build writes.
    public static let storeVersion = 1
    /// Cooldowns after consecutive rate limits: 1 min, 5 min, 25 min, then 1 h.
    public static let cooldownSteps: [Int64] = [60_000, 300_000, 1_500_000, 3_600_000]

    /// The agent database.
    public let database: StateDatabase

    /// - parameter database: an agent database opened with ``RuntimeSchema/agent``.
    public init(database: StateDatabase) {
        self.database = database
    }

    static let storeKey = "primary"

    // MARK: Credentials

    /// Every stored profile, by id.
    public func profiles() throws -> [AuthProfile] {
        try database.reading { db in try Self.loadProfiles(db) }.values.sorted { $0.id < $1.id }
    }

    /// Stores (or replaces) a profile.
    public func save(_ profile: AuthProfile) throws {
        try database.immediate { db in
            var profiles = try Self.loadProfiles(db)
            profiles[profile.id] = profile
            try Self.storeProfiles(db, profiles)
        }
    }

    /// Removes a profile; `notFound` if it is not stored. It works on the stored document as it
    /// is, so it also removes a profile that no longer parses.
    public func remove(_ id: String) throws {
        try database.immediate { db in
            guard let text = try String.fetchOne(db, sql: "SELECT store_json FROM auth_profile_store WHERE store_key = ?", arguments: [Self.storeKey]),
                  case .object(var document) = try JSONValue.parse(text), case .object(var profiles)? = document["profiles"],
                  profiles.removeValue(forKey: id) != nil
            else { throw AgentRuntimeError(.notFound, "no auth profile '\(id)'") }
            document["profiles"] = .object(profiles)
            try db.execute(sql: "UPDATE auth_profile_store SET store_json = ?, updated_at_ms = ? WHERE store_key = ?",
                           arguments: [JSONValue.object(document).jsonText, RuntimeClock.milliseconds(), Self.storeKey])
        }
    }

    /// Merges a canonical `{version, profiles}` document (validated as a whole first).
    /// Returns the ids written.
    @discardableResult
    public func merge(document: JSONValue) throws -> [String] {
        guard let profiles = document["profiles"]?.objectValue else {
            throw AgentRuntimeError(.invalidArgument, "an auth profile document needs {version, profiles}")
        }
        if let version = document["version"]?.intValue, version > Self.storeVersion {
            throw AgentRuntimeError(.invalidArgument, "the document has version \(version), newer than this build reads (\(Self.storeVersion))")
        }
        let parsed = try profiles.map { try AuthProfile.parse(id: $0.key, $0.value) }
        try database.immediate { db in
            var stored = try Self.loadProfiles(db)
            for profile in parsed { stored[profile.id] = profile }
            try Self.storeProfiles(db, stored)
        }
        return parsed.map(\.id).sorted()
    }

    /// Merges profiles inside an open transaction (importers).
    func merge(_ db: Database, _ profiles: [AuthProfile]) throws {
        var stored = try Self.loadProfiles(db)
        for profile in profiles { stored[profile.id] = profile }
        try Self.storeProfiles(db, stored)
    }

    static func loadProfiles(_ db: Database) throws -> [String: AuthProfile] {
        guard let text = try db.firstRow(profileStoreByKey, .text(storeKey), body: { $0.text(0) }) else { return [:] }
        let document = try JSONValue.parse(text)
        guard let version = document["version"]?.intValue else {
            throw AgentRuntimeError(.storage, "the auth profile store has no version")
        }
        guard version <= storeVersion else {
            throw AgentRuntimeError(.storage, "the auth profile store has version \(version), newer than this build reads (\(storeVersion)); upgrade openclaw")
        }
        var result: [String: AuthProfile] = [:]
        for (id, value) in document["profiles"]?.objectValue ?? [:] {
            do {
                result[id] = try AuthProfile.parse(id: id, value)
            } catch let error as AgentRuntimeError {
                // Stored data, not the caller's input: a storage problem, not a usage error.
                throw AgentRuntimeError(.storage, "the stored auth profile store is invalid: \(error.message)",
                                        hint: "remove the profile with `openclaw models auth rm \(id)`")
            }
        }
        return result
    }

    private static func storeProfiles(_ db: Database, _ profiles: [String: AuthProfile]) throws {
        let document: JSONValue = ["version": .int(storeVersion), "profiles": .object(profiles.mapValues(\.storeJSON))]
        try db.execute(sql: """
            INSERT INTO auth_profile_store (store_key, store_json, updated_at_ms) VALUES (?, ?, ?)
            ON CONFLICT(store_key) DO UPDATE SET store_json = excluded.store_json, updated_at_ms = excluded.updated_at_ms
            """, arguments: [storeKey, document.jsonText, RuntimeClock.milliseconds()])
    }

    // MARK: State

    /// The usage state.
    public func state() throws -> AuthState {
        try database.reading { db in try Self.loadState(db) }
    }

    /// The explicit order for `provider`, if set.
    public func order(provider: String) throws -> [String]? {
        try state().order[provider]
    }

    /// Sets the explicit order for `provider`. Every id must be a stored profile of that provider.
    public func setOrder(provider: String, _ ids: [String]) throws {
        try ModelProviderConfiguration.validateID(provider)
        guard !ids.isEmpty else { throw AgentRuntimeError(.invalidArgument, "give at least one profile id (or use `order clear`)") }
        guard Set(ids).count == ids.count else { throw AgentRuntimeError(.invalidArgument, "a profile id is listed twice") }
        try updateState { db, state in
            let profiles = try Self.loadProfiles(db)
            for id in ids {
                guard let profile = profiles[id] else { throw AgentRuntimeError(.notFound, "no auth profile '\(id)'") }
                guard profile.provider == provider else { throw AgentRuntimeError(.invalidArgument, "profile '\(id)' is for provider '\(profile.provider)', not '\(provider)'") }
            }
            state.order[provider] = ids
        }
    }

    /// Clears the explicit order for `provider`.
    public func clearOrder(provider: String) throws {
        try updateState { _, state in state.order[provider] = nil }
    }

    /// Records that `profileID` worked for `provider` (and `model`, whose cooldown ends).
    public func recordSuccess(profileID: String, provider: String, model: String? = nil) throws {
        try updateState { _, state in
            state.lastGood[provider] = profileID
            var usage = state.usage[profileID] ?? ProfileUsage(errorCount: 0)
            usage.lastUsedAtMilliseconds = RuntimeClock.milliseconds()
            usage.errorCount = 0
            usage.cooldowns[model ?? ProfileUsage.allModels] = nil
            usage.cooldowns[ProfileUsage.allModels] = nil
            let now = RuntimeClock.milliseconds()
            usage.cooldowns = usage.cooldowns.filter { $0.value > now }
            state.usage[profileID] = usage
        }
    }

    /// Records a rate limit on `profileID` for `model` (`nil`: every model): it cools down 1, 5, 25
    /// minutes, then an hour, for that model only.
    public func recordRateLimit(profileID: String, model: String?) throws {
        try updateState { _, state in
            var usage = state.usage[profileID] ?? ProfileUsage(errorCount: 0)
            usage.errorCount += 1
            let step = Self.cooldownSteps[min(usage.errorCount, Self.cooldownSteps.count) - 1]
            usage.cooldowns[model ?? ProfileUsage.allModels] = RuntimeClock.milliseconds() + step
            state.usage[profileID] = usage
        }
    }

    private func updateState(_ change: (Database, inout AuthState) throws -> Void) throws {
        try database.immediate { db in
            var state = try Self.loadState(db)
            try change(db, &state)
            try db.execute(sql: """
                INSERT INTO auth_profile_state (state_key, state_json, updated_at_ms) VALUES (?, ?, ?)
                ON CONFLICT(state_key) DO UPDATE SET state_json = excluded.state_json, updated_at_ms = excluded.updated_at_ms
                """, arguments: [Self.storeKey, state.json.jsonText, RuntimeClock.milliseconds()])
        }
    }

    static func loadState(_ db: Database) throws -> AuthState {
        guard let text = try db.firstRow(profileStateByKey, .text(storeKey), body: { $0.text(0) }) else { return AuthState() }
        return AuthState.parse(try JSONValue.parse(text))
    }

    // Every run reads both: lookup queries, read in place.
    private static let profileStoreByKey = LookupQuery("SELECT store_json FROM auth_profile_store WHERE store_key = ?")
    private static let profileStateByKey = LookupQuery("SELECT state_json FROM auth_profile_state WHERE state_key = ?")
}
