import Foundation

/// The one message a run gets for a chat completion request.
///
/// The runtime's run request has no extra system prompt, so system and developer messages are
/// put first, as `System: <text>` and a blank line. Of the other turns:
/// - in a session the client named (`x-openclaw-session-key` or `user`), which keeps the
///   conversation itself, only the last user message is sent;
/// - in a fresh session the conversation up to the last user message is flattened into lines
///   `User: ...`, `Assistant: ...`, `Tool: ...` (a lone user message is sent as it is).
enum OpenAIPrompt {
    /// The run's message.
    /// - throws: ``OpenAIError`` 400 when no user message has text.
    static func message(for messages: [OpenAIChatMessage], sessionKeepsHistory: Bool) throws(OpenAIError) -> String {
        let system = messages.filter { $0.role == .system || $0.role == .developer }
            .map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: "\n\n")
        let turns = messages.filter { $0.role != .system && $0.role != .developer }
            .map { OpenAIChatMessage(role: $0.role, text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines), name: $0.name) }
            .filter { !$0.text.isEmpty }
        guard let last = turns.lastIndex(where: { $0.role == .user }) else {
            throw .invalidRequest("Missing user message in `messages`.", param: "messages", code: "missing_user_message")
        }
        let body: String
        if sessionKeepsHistory || last == turns.startIndex {
            body = turns[last].text
        } else {
            body = turns[...last].map { "\(sender($0)): \($0.text)" }.joined(separator: "\n")
        }
        return system.isEmpty ? body : "System: \(system)\n\n\(body)"
    }

    private static func sender(_ message: OpenAIChatMessage) -> String {
        switch message.role {
        case .user: "User"
        case .assistant: "Assistant"
        case .tool, .function: message.name.map { "Tool \($0)" } ?? "Tool"
        case .system, .developer: "System"
        }
    }
}
