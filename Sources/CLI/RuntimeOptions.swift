import AgentRuntime
import ArgumentParser
import Foundation
import StateStore

/// `--state` and `--agent`, shared by the runtime commands.
struct AgentOptions: ParsableArguments {
    @OptionGroup var stateOptions: StateOptions

    @Option(name: .long, help: ArgumentHelp("The agent.", valueName: "id"))
    var agent: String = "main"

    func validate() throws {
        do { _ = try AgentID(agent) } catch let error as StateError { throw ValidationError(error.message) }
    }

    func agentID() throws -> AgentID { try AgentID(agent) }

    /// The agent's runtime, from the process's host (``CommandHost``).
    func runtime() throws -> AgentRuntime {
        try CommandHost.host(for: stateOptions.directory()).runtime(for: try agentID())
    }

    /// Parses a session key; a bare name (`main`) is a key of `--agent`.
    func sessionKey(_ raw: String) throws -> SessionKey {
        let key = try SessionKey(raw, defaultAgent: try agentID())
        return key
    }
}

extension AgentRuntimeError {
    /// The CLI's exit status for this error: 64 for bad input, 65 for an unusable database, 1
    /// otherwise.
    var exitStatus: Int32 {
        switch code {
        case .invalidArgument: ExitStatus.usage
        case .unusableDatabase: ExitStatus.unusableState
        case .aborted: 130
        default: ExitStatus.failure
        }
    }
}

/// Renderings of runtime values.
enum RuntimeFormatting {
    /// `2026-11-25 17:04:24` (UTC) from milliseconds.
    static func time(_ milliseconds: Int64) -> String {
        String(RuntimeClock.iso8601(milliseconds: milliseconds).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    /// One event as a line for people: `#3 17:04:24 assistant: text [tool write]`.
    static func eventLine(_ event: TranscriptEvent) -> String {
        let time = String(time(event.createdAtMilliseconds).suffix(8))
        let prefix = "#\(event.seq) \(time) "
        switch event.payload {
        case .session(let header):
            return prefix + "session \(event.id) started" + (header.reason.map { " (\($0))" } ?? "")
        case .message(let message):
            var parts: [String] = []
            for block in message.content {
                switch block {
                case .text(let text): parts.append(text)
                case .toolCall(_, let name, let arguments): parts.append("[call \(name) \(arguments.stringValue ?? arguments.jsonText)]")
                case .other: break
                }
            }
            if message.role == "toolResult" {
                let failed = message.isError == true ? " (error)" : ""
                return prefix + "tool \(message.toolName ?? "?")\(failed): " + parts.joined(separator: " ")
            }
            return prefix + message.role + ": " + parts.joined(separator: " ")
        case .runStart(let record):
            return prefix + "run \(record.runId) started with \(record.model.isEmpty ? "?" : record.model)"
        case .runEnd(let record):
            let error = record.error.map { ": \($0.message)" } ?? ""
            return prefix + "run \(record.runId) \(record.status)\(error)"
        case .other:
            return prefix + event.type + " " + event.json.jsonText
        }
    }
}
