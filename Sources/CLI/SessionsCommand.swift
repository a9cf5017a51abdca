import AgentRuntime
import ArgumentParser
import Foundation
import StateStore

/// `openclaw sessions`: sessions and transcripts.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List, show, export, reset and delete sessions.",
        discussion: "Keys look like agent:<agentId>:<name>; a bare name (main) is a key of --agent.",
        subcommands: [List.self, Show.self, Export.self, Reset.self, Delete.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List sessions, most recently active first.",
            discussion: "Databases are opened read-only. With --all-agents an agent whose database cannot be read is reported on standard error (and under \"skipped\" in JSON) and the others are listed; --limit then applies to the merged list.")

        @OptionGroup var options: AgentOptions
        @Flag(name: .long, help: "Sessions of every agent.") var allAgents = false
        @Option(name: .long, help: ArgumentHelp("At most this many sessions (of all listed agents, most recent first).", valueName: "n")) var limit: Int?
        @OptionGroup var output: JSONFlag

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let state = options.stateOptions.directory()
            let agents = allAgents ? state.agentDatabasesOnDisk().map(\.agent) : [try options.agentID()]
            var rows: [(SessionSummary, String)] = []
            var skipped: [SessionList.SkippedAgent] = []
            for agent in agents {
                do {
                    rows += try Self.sessions(of: agent, in: state, limit: limit)
                } catch {
                    guard allAgents else { throw error }
                    let message = (error as? AgentRuntimeError)?.message ?? "\(error)"
                    Output.error("openclaw: skipped agent \(agent): \(message)")
                    skipped.append(SessionList.SkippedAgent(agentId: agent.value, error: message))
                }
            }
            rows.sort { ($0.0.updatedAtMilliseconds, $1.0.key.value) > ($1.0.updatedAtMilliseconds, $0.0.key.value) }
            if let limit { rows = Array(rows.prefix(limit)) }
            if output.json {
                try Output.json(encoding: SessionList(sessions: rows.map { SessionListing($0.0, databasePath: $0.1) }, skipped: skipped))
                return
            }
            if rows.isEmpty {
                Output.error("no sessions")
                return
            }
            var text = ""
            for (summary, _) in rows {
                text += "\(summary.key.value)\t\(summary.sessionID)\t\(summary.frontier.eventCount) events\t\(RuntimeFormatting.time(summary.updatedAtMilliseconds))\t\(summary.model ?? "-")\n"
            }
            Output.write(text)
        }

        /// The sessions of one agent, read through a read-only open of its database (nothing is
        /// created, migrated or registered). An agent without a database or without sessions has none.
        static func sessions(of agent: AgentID, in state: StateDirectory, limit: Int?) throws -> [(SessionSummary, String)] {
            let path = state.agentDatabasePath(agent)
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            do {
                let database = try state.openForInspection(agent)
                defer { try? database.close() }
                guard try database.schemaVersions().components[RuntimeSchema.agent.name] != nil else { return [] }
                return try SessionStore(database: database, agent: agent).list(limit: limit).map { ($0, path) }
            } catch {
                throw AgentRuntimeError.wrap(error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a session's transcript, from a cursor.")

        @OptionGroup var options: AgentOptions
        @Argument(help: "The session key.") var key: String
        @Option(name: .long, help: ArgumentHelp("Only events after this seq.", valueName: "seq")) var after: Int64 = -1
        @Option(name: .long, help: ArgumentHelp("At most this many events.", valueName: "n")) var limit: Int?
        @Option(name: .long, help: ArgumentHelp("Only the last n events (instead of --after).", valueName: "n")) var tail: Int?
        @Option(name: .long, help: ArgumentHelp("An earlier session id of the key (see the header's previousSessionId).", valueName: "id")) var sessionId: String?
        @OptionGroup var output: JSONFlag

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if after < -1 { throw ValidationError("--after must be -1 or more") }
            if let tail, tail < 1 { throw ValidationError("--tail must be at least 1") }
            if tail != nil, after != -1 { throw ValidationError("use --tail or --after, not both") }
        }

        func run() throws {
            let runtime = try options.runtime()
            let (sessionID, frontier) = try resolve(runtime)
            let start = tail.map { max(-1, frontier.lastSeq - Int64($0)) } ?? after
            let events = try runtime.sessions.events(sessionID, after: start, limit: limit)
            if output.json {
                try Output.json(encoding: TranscriptPage(sessionKey: try options.sessionKey(key), frontier: frontier, events: events, after: start))
                return
            }
            Output.write(events.map { RuntimeFormatting.eventLine($0) + "\n" }.joined())
        }

        private func resolve(_ runtime: AgentRuntime) throws -> (String, TranscriptFrontier) {
            let sessionKey = try options.sessionKey(key)
            if let sessionId {
                guard let window = try runtime.sessions.windows(sessionKey).first(where: { $0.sessionID == sessionId }) else {
                    throw AgentRuntimeError(.notFound, "session \(sessionKey) never had session id \(sessionId)")
                }
                return (sessionId, window.frontier)
            }
            guard let summary = try runtime.sessions.session(sessionKey) else { throw AgentRuntimeError(.notFound, "no session \(sessionKey)") }
            return (summary.sessionID, summary.frontier)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a session's current transcript as JSON Lines or Markdown.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, md }

        @OptionGroup var options: AgentOptions
        @Argument(help: "The session key.") var key: String
        @Option(name: .long, help: "jsonl (one event per line) or md.") var format: Format
        @Option(name: .long, help: ArgumentHelp("Write to this file (created; never overwritten) instead of standard output.", valueName: "file")) var output: String?

        func run() throws {
            let runtime = try options.runtime()
            let sessionKey = try options.sessionKey(key)
            guard let summary = try runtime.sessions.session(sessionKey) else { throw AgentRuntimeError(.notFound, "no session \(sessionKey)") }
            let events = try runtime.sessions.events(summary.sessionID)
            let text = format == .jsonl ? events.map { $0.json.jsonText + "\n" }.joined() : TranscriptMarkdown.render(summary, events)
            if let output {
                if FileManager.default.fileExists(atPath: output) {
                    throw CLIFailure(message: "\(output) already exists; choose another --output")
                }
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: [.withoutOverwriting]) } catch {
                    throw CLIFailure(message: "cannot write \(output): \((error as NSError).localizedDescription)")
                }
                Output.error("exported \(events.count) events to \(output)")
            } else {
                Output.write(text)
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset", abstract: "Start a new session id for a key; the old transcript is kept.")

        @OptionGroup var options: AgentOptions
        @Argument(help: "The session key.") var key: String
        @Option(name: .long, help: "Why (recorded with the new session).") var reason: String?
        @OptionGroup var output: JSONFlag

        func run() throws {
            let runtime = try options.runtime()
            let (previous, session) = try runtime.sessions.reset(try options.sessionKey(key), note: reason)
            if output.json {
                Output.json(["sessionKey": session.key.value, "sessionId": session.sessionID, "previousSessionId": previous])
            } else {
                Output.line("\(session.key.value): new session \(session.sessionID) (previous \(previous) kept)")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a key with every transcript it had.")

        @OptionGroup var options: AgentOptions
        @Argument(help: "The session key.") var key: String
        @OptionGroup var output: JSONFlag

        func run() throws {
            let runtime = try options.runtime()
            let sessionKey = try options.sessionKey(key)
            let deleted = try runtime.sessions.delete(sessionKey)
            if output.json {
                Output.json(["sessionKey": sessionKey.value, "deletedEvents": deleted])
            } else {
                Output.line("deleted \(sessionKey.value) (\(deleted) events)")
            }
        }
    }
}

/// A transcript as Markdown.
enum TranscriptMarkdown {
    static func render(_ summary: SessionSummary, _ events: [TranscriptEvent]) -> String {
        var text = "# Session \(summary.key.value)\n\nSession id `\(summary.sessionID)`, \(events.count) events.\n"
        for event in events {
            let time = RuntimeFormatting.time(event.createdAtMilliseconds)
            switch event.payload {
            case .message(let message):
                let body = message.content.compactMap { block -> String? in
                    switch block {
                    case .text(let text): return text
                    case .toolCall(_, let name, let arguments):
                        return "Tool call `\(name)`:\n\n```json\n\(arguments.stringValue ?? arguments.jsonText)\n```"
                    case .other: return nil
                    }
                }.joined(separator: "\n\n")
                if message.role == "toolResult" {
                    let failed = message.isError == true ? " (error)" : ""
                    text += "\n### Tool result: \(message.toolName ?? "?")\(failed) — \(time)\n\n```\n\(body)\n```\n"
                } else {
                    text += "\n## \(message.role.capitalized) — \(time)\n\n\(body)\n"
                }
            case .runEnd(let record):
                if let error = record.error {
                    text += "\n> Run \(record.status): \(error.message)\n"
                }
            default: continue
            }
        }
        return text
    }
}
