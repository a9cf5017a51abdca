import Foundation

/// `openclaw models list --json`: every model of the catalog and the agent's default.
public struct ModelList: Sendable, Equatable, Encodable {
    /// One model, addressed as `provider/model`.
    public struct Entry: Sendable, Equatable, Encodable {
        public var ref: String
        public var provider: String
        public var model: String
        public var api: String
        /// `null` when the catalog does not say.
        @NullWhenAbsent public var contextWindow: Int?
        /// `null` when the catalog does not say.
        @NullWhenAbsent public var maxTokens: Int?
        /// Whether it is the agent's default model.
        public var isDefault: Bool

        private enum CodingKeys: String, CodingKey { case ref, provider, model, api, contextWindow, maxTokens, isDefault = "default" }
    }

    /// `provider/model`, or `null` when the agent has none.
    @NullWhenAbsent public var defaultModel: String?
    public var models: [Entry]

    /// The models of `providers`, in catalog order.
    public init(providers: [ModelProviderConfiguration], defaultModel: ModelReference?) {
        self.defaultModel = defaultModel?.description
        models = providers.flatMap { provider in
            provider.models.map { model in
                Entry(ref: "\(provider.id)/\(model.id)", provider: provider.id, model: model.id, api: provider.api.rawValue,
                      contextWindow: model.contextWindow, maxTokens: model.maxTokens,
                      isDefault: defaultModel == ModelReference(provider: provider.id, model: model.id))
            }
        }
    }
}

/// A skill as `openclaw skills list --json` prints it.
extension SkillRecord: Encodable {
    private enum CodingKeys: String, CodingKey { case slug, sha256, description, files, bytes, uploadedAtMs, path }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(slug, forKey: .slug)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(description, forKey: .description)
        try container.encode(fileCount, forKey: .files)
        try container.encode(sizeBytes, forKey: .bytes)
        try container.encode(uploadedAtMilliseconds, forKey: .uploadedAtMs)
        // Its directory in the `skills` namespace.
        try container.encode("/\(slug)", forKey: .path)
    }
}

/// `openclaw skills list --json`.
public struct SkillList: Sendable, Equatable, Encodable {
    public var skills: [SkillRecord]

    public init(skills: [SkillRecord]) { self.skills = skills }
}

/// `openclaw skills add --json`: the skill uploaded, and the host files left out of it.
public struct SkillUploadReport: Sendable, Equatable, Encodable {
    public var skill: SkillRecord
    public var skipped: [String]

    public init(skill: SkillRecord, skipped: [String]) {
        self.skill = skill
        self.skipped = skipped
    }

    private enum CodingKeys: String, CodingKey { case skipped }

    /// The skill's keys, with `skipped` beside them.
    public func encode(to encoder: any Encoder) throws {
        try skill.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(skipped, forKey: .skipped)
    }
}
