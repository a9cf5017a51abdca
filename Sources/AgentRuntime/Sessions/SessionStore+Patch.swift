import GRDB

/// A change to one field: keep it, set it, or clear it (`null` in `sessions.patch`).
public enum FieldPatch<Value: Sendable>: Sendable {
    case keep
    case set(Value)
    case clear

    var stored: Value?? {
        switch self {
        case .keep: nil
        case .set(let value): .some(value)
        case .clear: .some(nil)
        }
    }
}

extension SessionStore {
    /// Sets or clears the session's label and model (the session is created if missing), and
    /// returns it. A label is 1 to 256 characters with no control characters.
    @discardableResult
    public func patch(_ key: SessionKey, label: FieldPatch<String> = .keep, model: FieldPatch<ModelReference> = .keep) throws -> SessionSummary {
        if case .set(let text) = label {
            guard (1...256).contains(text.count), !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw AgentRuntimeError(.invalidArgument, "a label is 1 to 256 characters, without control characters")
            }
        }
        _ = try openSession(key)
        try database.immediate { db in
            if let value = label.stored {
                try db.execute(sql: "UPDATE session_nodes SET label = ? WHERE session_key = ?", arguments: [value, key.value])
            }
            if let value = model.stored {
                try db.execute(sql: "UPDATE session_nodes SET model_override = ? WHERE session_key = ?", arguments: [value?.description, key.value])
            }
        }
        guard let patched = try session(key) else { throw AgentRuntimeError(.storage, "session \(key) vanished after its patch") }
        return patched
    }
}
