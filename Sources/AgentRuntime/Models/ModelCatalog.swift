import Foundation
import GRDB
import Storage

/// The model catalog in the global database: providers and their models.
public final class ModelCatalog: Sendable {
    /// The global database.
    public let database: StateDatabase

    /// - parameter database: the global database opened with ``RuntimeSchema/global``.
    public init(database: StateDatabase) {
        self.database = database
    }

    /// Creates or replaces a provider. Its models are replaced by `provider.models` unless that
    /// is empty and `keepModels` is set.
    public func setProvider(_ provider: ModelProviderConfiguration, keepModels: Bool = true) throws {
        try database.immediate { db in
            let headers = JSONValue.object(provider.headers.mapValues(JSONValue.string)).jsonText
            try db.execute(sql: """
                INSERT INTO model_providers (provider_id, api, base_url, headers_json, timeout_ms, max_retries, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(provider_id) DO UPDATE SET api = excluded.api, base_url = excluded.base_url, headers_json = excluded.headers_json,
                  timeout_ms = excluded.timeout_ms, max_retries = excluded.max_retries, updated_at_ms = excluded.updated_at_ms
                """, arguments: [provider.id, provider.api.rawValue, provider.baseURL, headers, provider.timeoutMilliseconds, provider.maxRetries, RuntimeClock.milliseconds()])
            if !(provider.models.isEmpty && keepModels) {
                try db.execute(sql: "DELETE FROM model_catalog WHERE provider_id = ?", arguments: [provider.id])
            }
            for model in provider.models {
                try db.execute(sql: """
                    INSERT INTO model_catalog (provider_id, model_id, context_window, max_tokens) VALUES (?, ?, ?, ?)
                    ON CONFLICT(provider_id, model_id) DO UPDATE SET context_window = excluded.context_window, max_tokens = excluded.max_tokens
                    """, arguments: [provider.id, model.id, model.contextWindow, model.maxTokens])
            }
        }
    }

    /// Removes a provider and its models.
    public func removeProvider(_ id: String) throws {
        try database.immediate { db in
            try db.execute(sql: "DELETE FROM model_providers WHERE provider_id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw AgentRuntimeError(.notFound, "no provider '\(id)' in the model catalog") }
        }
    }

    /// Every provider with its models, by id.
    public func providers() throws -> [ModelProviderConfiguration] {
        try database.reading { db in
            let models = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM model_catalog ORDER BY provider_id, model_id"))
            var byProvider: [String: [ModelDescriptor]] = [:]
            for row in models {
                byProvider[row["provider_id"], default: []].append(
                    try ModelDescriptor(id: row["model_id"], contextWindow: row["context_window"], maxTokens: row["max_tokens"]))
            }
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM model_providers ORDER BY provider_id")).map { row in
                try Self.provider(row, models: byProvider[row["provider_id"]] ?? [])
            }
        }
    }

    /// One provider, or `nil`: only its own rows are read (every run resolves its model here),
    /// by column position through SQLite's C API.
    public func provider(_ id: String) throws -> ModelProviderConfiguration? {
        // One statement (the provider's row once per model), so no read transaction.
        try database.readingOnce { db in
            var found: (api: String, baseURL: String, headers: String, timeout: Int64, retries: Int64)?
            var models: [ModelDescriptor] = []
            try db.forEachRow(Self.providerWithModels, .text(id)) { row in
                if found == nil { found = (api: row.text(0), baseURL: row.text(1), headers: row.text(2), timeout: row.int64(3), retries: row.int64(4)) }
                if !row.isNull(5) {
                    models.append(try ModelDescriptor(id: row.text(5), contextWindow: row.optionalInt64(6).map(Int.init), maxTokens: row.optionalInt64(7).map(Int.init)))
                }
            }
            guard let found else { return nil }
            return try Self.provider(id: id, api: found.api, baseURL: found.baseURL, headersJSON: found.headers,
                                     timeout: Int(found.timeout), retries: Int(found.retries), models: models)
        }
    }

    private static let providerWithModels = LookupQuery("""
        SELECT p.api, p.base_url, p.headers_json, p.timeout_ms, p.max_retries, m.model_id, m.context_window, m.max_tokens
        FROM model_providers p LEFT JOIN model_catalog m ON m.provider_id = p.provider_id WHERE p.provider_id = ? ORDER BY m.model_id
        """)

    /// The provider and model of `reference`, or a `notFound` error naming what is missing.
    public func resolve(_ reference: ModelReference) throws -> (provider: ModelProviderConfiguration, model: ModelDescriptor) {
        guard let provider = try provider(reference.provider) else {
            throw AgentRuntimeError(.notFound, "no provider '\(reference.provider)' in the model catalog",
                                    hint: "add it with `openclaw models providers set \(reference.provider) --api ... --base-url ...`")
        }
        guard let model = provider.models.first(where: { $0.id == reference.model }) else {
            let known = provider.models.map(\.id).joined(separator: ", ")
            throw AgentRuntimeError(.notFound, "provider '\(provider.id)' has no model '\(reference.model)'" + (known.isEmpty ? "" : " (it has: \(known))"))
        }
        return (provider, model)
    }

    private static func provider(_ row: Row, models: [ModelDescriptor]) throws -> ModelProviderConfiguration {
        try provider(id: row["provider_id"], api: row["api"], baseURL: row["base_url"], headersJSON: row["headers_json"],
                     timeout: row["timeout_ms"], retries: row["max_retries"], models: models)
    }

    private static func provider(id: String, api: String, baseURL: String, headersJSON: String, timeout: Int, retries: Int,
                                 models: [ModelDescriptor]) throws -> ModelProviderConfiguration {
        let headers = headersJSON == "{}" ? [:] : (try? JSONValue.parse(headersJSON))?.objectValue?.compactMapValues { $0.stringValue } ?? [:]
        guard let api = ModelAPI(rawValue: api) else { throw AgentRuntimeError(.storage, "unknown api in model_providers") }
        // Validated when stored: read back as it is (parsing the URL again cost most of a run's
        // model resolution).
        return ModelProviderConfiguration(stored: id, api: api, baseURL: baseURL, headers: headers,
                                          timeoutMilliseconds: timeout, maxRetries: retries, models: models)
    }
}
