import Foundation

/// A validated agent id: `^[a-z0-9][a-z0-9_-]{0,63}$` after lowercasing.
public struct AgentID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The default agent.
    public static let main = AgentID(uncheckedValue: "main")

    /// The canonical (lowercase) id.
    public let value: String

    private init(uncheckedValue: String) { value = uncheckedValue }

    /// Validates and lowercases `raw`.
    /// - throws: ``StateError`` with `EINVAL` and the rule.
    public init(_ raw: String) throws {
        let lowered = raw.lowercased()
        guard Identifier.isValid(lowered) else {
            throw StateError(EINVAL, "invalid agent id \(raw.debugDescription): use 1 to 64 characters a-z, 0-9, '_' or '-', starting with a letter or digit")
        }
        value = lowered
    }

    public var description: String { value }

    public static func < (lhs: AgentID, rhs: AgentID) -> Bool { lhs.value < rhs.value }
}
