/// Keeps the history sent to a model within its context window.
///
/// Tokens are estimated as UTF-8 bytes / 4 plus 4 per message, a deliberate over-estimate for
/// English and code. When the history does not fit `contextWindow - reserved`, whole exchanges
/// (a user message and everything up to the next one) are dropped from the oldest, so a tool call
/// never loses its result; the newest exchange is always kept.
enum HistoryBudget {
    static func estimate(_ message: ChatMessage) -> Int {
        let bytes: Int = switch message {
        case .user(let text): text.utf8.count
        case .assistant(let text, let calls): text.utf8.count + calls.reduce(0) { $0 + $1.name.utf8.count + $1.argumentsJSON.utf8.count }
        case .toolResult(_, let name, let text, _): name.utf8.count + text.utf8.count
        }
        return bytes / 4 + 4
    }

    /// The estimate for the system prompt and tool definitions of `toolBytes` bytes (``bytes(of:)``).
    static func estimate(_ system: String, toolBytes: Int) -> Int {
        (system.utf8.count + toolBytes) / 4
    }

    /// The bytes of tool definitions the estimate counts: names, descriptions, encoded schemas.
    /// The definitions are fixed, so callers compute this once.
    static func bytes(of tools: [ToolDefinition]) -> Int {
        tools.reduce(0) { $0 + $1.name.utf8.count + $1.description.utf8.count + $1.parameters.jsonText.utf8.count }
    }

    /// `messages` without their oldest exchanges as needed, and how many messages were dropped.
    static func fit(_ messages: [ChatMessage], contextWindow: Int?, reserved: Int) -> (messages: [ChatMessage], dropped: Int) {
        guard let contextWindow else { return (messages, 0) }
        let budget = contextWindow - reserved
        var total = messages.reduce(0) { $0 + estimate($1) }
        var start = 0
        while total > budget, start + 1 < messages.count {
            // The next exchange starts at the next user message after `start`.
            guard let next = messages[(start + 1)...].firstIndex(where: { if case .user = $0 { true } else { false } }) else { break }
            total -= messages[start..<next].reduce(0) { $0 + estimate($1) }
            start = next
        }
        return (Array(messages[start...]), start)
    }
}
