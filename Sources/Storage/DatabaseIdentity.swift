/// What a database file is for: the role it plays in the state directory and, for per-agent
/// databases, the agent it belongs to.
///
/// The identity is written into `schema_meta` when the file is created and checked on every open,
/// so that agent A's file opened as agent B's fails instead of mixing state.
public struct DatabaseIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The role, for example `global` or `agent`.
    public var role: String
    /// The owning agent id for per-agent databases; `nil` otherwise.
    public var agentID: String?

    public init(role: String, agentID: String? = nil) {
        self.role = role
        self.agentID = agentID
    }

    public var description: String {
        if let agentID { return "\(role) database of agent '\(agentID)'" }
        return "\(role) database"
    }
}
