import StateStore

/// A session's routing key: `agent:<agentId>:<rest>`.
///
/// The main session of an agent is `agent:<id>:main`; a subagent's is
/// `agent:<id>:subagent:<uuid>`. A key maps to the *current* session id of that conversation;
/// resetting it starts a new session id under the same key.
public struct SessionKey: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The canonical text.
    public let value: String
    /// The agent the session belongs to.
    public let agent: AgentID
    /// The part after `agent:<id>:`.
    public var rest: Substring { value.dropFirst("agent:".count + agent.value.count + 1) }

    /// Parses `agent:<id>:<rest>`. A bare `<rest>` (no `agent:` prefix, like `main`) is taken
    /// as a key of `defaultAgent`.
    /// - throws: ``AgentRuntimeError/Code/invalidArgument`` with the rule.
    public init(_ raw: String, defaultAgent: AgentID = .main) throws {
        let rule = "use agent:<agentId>:<name> (like agent:main:main), where <name> is 1 to 200 bytes without control characters or whitespace"
        let parts = raw.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        let agent: AgentID
        let rest: Substring
        if parts.count == 3, parts[0].lowercased() == "agent" {
            do { agent = try AgentID(String(parts[1])) } catch {
                throw AgentRuntimeError(.invalidArgument, "invalid session key \(raw.debugDescription): \(error)")
            }
            rest = parts[2]
        } else if !raw.lowercased().hasPrefix("agent:") {
            agent = defaultAgent
            rest = Substring(raw)
        } else {
            throw AgentRuntimeError(.invalidArgument, "invalid session key \(raw.debugDescription): \(rule)")
        }
        guard (1...200).contains(rest.utf8.count),
              rest.unicodeScalars.allSatisfy({ $0.value > 0x20 && !(0x7F...0x9F).contains($0.value) && !($0.properties.isWhitespace) }),
              !rest.hasPrefix(":"), !rest.hasSuffix(":"), !rest.contains("::")
        else {
            throw AgentRuntimeError(.invalidArgument, "invalid session key \(raw.debugDescription): \(rule)")
        }
        self.agent = agent
        self.value = "agent:\(agent.value):\(rest.lowercased() == "main" ? "main" : String(rest))"
    }

    /// The main session of `agent`.
    public static func main(_ agent: AgentID) -> SessionKey {
        // Valid by construction.
        (try? SessionKey("agent:\(agent.value):main")) ?? SessionKey(unchecked: "agent:main:main", agent: .main)
    }

    /// A new subagent session key under `agent`.
    public static func subagent(_ agent: AgentID, id: String) -> SessionKey {
        SessionKey(unchecked: "agent:\(agent.value):subagent:\(id)", agent: agent)
    }

    /// A key read back from `agent`'s own database: it was validated when written, so one with
    /// the agent's prefix is taken as it is (listing 10k sessions parses no key); anything else
    /// goes through the full parser.
    init(stored value: String, agent: AgentID) throws {
        let prefix = "agent:\(agent.value):"
        if value.utf8.count > prefix.utf8.count, value.hasPrefix(prefix) {
            self.init(unchecked: value, agent: agent)
        } else {
            try self.init(value)
        }
    }

    private init(unchecked value: String, agent: AgentID) {
        self.value = value
        self.agent = agent
    }

    /// Whether this is a subagent's session.
    public var isSubagent: Bool { rest.hasPrefix("subagent:") }

    public var description: String { value }

    public static func < (lhs: SessionKey, rhs: SessionKey) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
