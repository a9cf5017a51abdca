/// An optional response field whose key is always present: `null` when there is no value, where
/// synthesized `Encodable` would leave the key out. The JSON contract (docs/cli.md) prints
/// `"model" : null` before a session's first run, `"defaultModel" : null` without a default, ...
@propertyWrapper
public struct NullWhenAbsent<Value: Encodable & Sendable & Equatable>: Encodable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
