import AgentRuntime
import Foundation
import StateStore

/// Where a chat completion runs: its agent and its session.
struct OpenAISessionRoute: Sendable, Equatable {
    var agent: AgentID
    var key: SessionKey
    /// Whether the client named the session (`x-openclaw-session-key` or `user`): such a
    /// session keeps the conversation, so only the last user message is sent to it.
    var isNamed: Bool
}

/// The agent and session of a request, as OpenClaw routes them.
///
/// Agent: the `x-openclaw-agent-id` (or `x-openclaw-agent`) header wins; otherwise `model`:
/// `openclaw` or `openclaw/default` is the default agent (`main`), `openclaw/<id>`,
/// `openclaw:<id>` and `agent:<id>` name one; anything else is a 400. With the header, `model`
/// is only echoed.
///
/// Session: `x-openclaw-session-key` (`agent:<id>:<rest>`, or a bare `<rest>` of the agent);
/// otherwise `agent:<id>:openai-user:<user>` when `user` is set; otherwise a fresh
/// `agent:<id>:openai:<uuid>`. A full key of another agent than the one named is a 400; when no
/// agent was named, the key's agent is the one used.
///
/// Whether the agent is served is checked by the caller (it needs the registry).
enum OpenAISessionRouting {
    static let agentHeaders = ["x-openclaw-agent-id", "x-openclaw-agent"]
    static let sessionHeader = "x-openclaw-session-key"

    /// The route of a request whose headers gave `agentHeader` and `sessionHeader`.
    /// - throws: ``OpenAIError`` 400 for a bad model, agent id, session key or `user`.
    static func route(model: String, user: String?, agentHeader: String?, sessionHeader: String?) throws(OpenAIError) -> OpenAISessionRoute {
        let named: AgentID?
        if let header = agentHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty {
            guard let agent = try? AgentID(header) else {
                throw .invalidRequest("`x-openclaw-agent-id` \(header.debugDescription) is not an agent id: use 1 to 64 characters a-z, 0-9, '_' or '-'",
                                      code: "invalid_agent_id")
            }
            named = agent
        } else {
            named = try agent(inModel: model)
        }
        let agent = named ?? .main
        if let raw = sessionHeader?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            let key: SessionKey
            do { key = try SessionKey(raw, defaultAgent: agent) } catch {
                throw .invalidRequest("invalid `x-openclaw-session-key`: \(AgentRuntimeError.wrap(error).message)", code: "invalid_session_key")
            }
            if let named, key.agent != named {
                throw .invalidRequest("`x-openclaw-session-key` \(key.value) belongs to agent \(key.agent.value), not \(named.value)", code: "invalid_session_key")
            }
            return OpenAISessionRoute(agent: key.agent, key: key, isNamed: true)
        }
        if let user {
            do {
                return OpenAISessionRoute(agent: agent, key: try SessionKey("agent:\(agent.value):openai-user:\(user)"), isNamed: true)
            } catch {
                throw .invalidRequest("`user` cannot name a session: \(AgentRuntimeError.wrap(error).message)", param: "user", code: "invalid_user")
            }
        }
        do {
            return OpenAISessionRoute(agent: agent, key: try SessionKey("agent:\(agent.value):openai:\(RuntimeClock.uuid())"), isNamed: false)
        } catch {
            throw .invalidRequest(AgentRuntimeError.wrap(error).message)
        }
    }

    /// The agent a `model` names, `nil` for the default agent.
    /// - throws: ``OpenAIError/invalidModel`` for any other form.
    static func agent(inModel model: String) throws(OpenAIError) -> AgentID? {
        let lowered = model.trimmingCharacters(in: .whitespaces).lowercased()
        if lowered == "openclaw" { return nil }
        for prefix in ["openclaw/", "openclaw:", "agent:"] where lowered.hasPrefix(prefix) {
            let raw = String(lowered.dropFirst(prefix.count))
            if raw == "default" { return nil }
            guard let agent = try? AgentID(raw) else { throw .invalidModel }
            return agent
        }
        throw .invalidModel
    }
}
