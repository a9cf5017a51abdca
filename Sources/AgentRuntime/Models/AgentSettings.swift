import Foundation
import GRDB
import Storage

/// Small per-agent settings stored as JSON in `agent_settings`.
public final class AgentSettings: Sendable {
    /// The agent database.
    public let database: StateDatabase

    /// - parameter database: an agent database opened with ``RuntimeSchema/agent``.
    public init(database: StateDatabase) {
        self.database = database
    }

    static let defaultModelKey = "model.default"

    /// The agent's default model, if set.
    public func defaultModel() throws -> ModelReference? {
        try database.reading { db in try defaultModel(db) }
    }

    /// ``defaultModel()`` in an open transaction.
    func defaultModel(_ db: Database) throws -> ModelReference? {
        guard let text = try db.firstRow(Self.settingByKey, .text(Self.defaultModelKey), body: { $0.text(0) }),
              let value = try? JSONValue.parse(text).stringValue
        else { return nil }
        return try? ModelReference(value)
    }

    private static let settingByKey = LookupQuery("SELECT value_json FROM agent_settings WHERE setting_key = ?")

    /// Sets (or with `nil` clears) the agent's default model.
    public func setDefaultModel(_ model: ModelReference?) throws {
        try database.immediate { db in
            if let model {
                try db.execute(sql: """
                    INSERT INTO agent_settings (setting_key, value_json, updated_at_ms) VALUES (?, ?, ?)
                    ON CONFLICT(setting_key) DO UPDATE SET value_json = excluded.value_json, updated_at_ms = excluded.updated_at_ms
                    """, arguments: [Self.defaultModelKey, JSONValue.string(model.description).jsonText, RuntimeClock.milliseconds()])
            } else {
                try db.execute(sql: "DELETE FROM agent_settings WHERE setting_key = ?", arguments: [Self.defaultModelKey])
            }
        }
    }
}
