import AgentRuntime
import ArgumentParser
import Foundation

/// `openclaw doctor`: check the state databases; `--fix` imports legacy files.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check schema versions, integrity and WAL size of every database; --fix imports legacy files.",
        discussion: """
            Legacy files: agents/<id>/agent/auth.json ({"<provider>": {"apiKey": ...}} becomes profile <provider>:default), \
            agents/<id>/agent/auth-profiles.json, agents/<id>/sessions/sessions.json with its *.jsonl transcripts. Each is \
            imported in one transaction, verified, recorded (migration_runs, migration_sources) and only then removed; \
            running --fix again does nothing. Exit 0 when healthy, 1 when something needs attention.
            """
    )

    @OptionGroup var stateOptions: StateOptions
    @Flag(name: .long, help: "Import legacy files into SQLite.") var fix = false
    @OptionGroup var output: JSONFlag

    func run() throws {
        let doctor = Doctor(state: stateOptions.directory())
        let report = fix ? doctor.fix() : doctor.inspect()
        if output.json {
            Output.json([
                "healthy": report.isHealthy,
                "databases": report.databases.map { database in
                    ["role": database.role, "agentId": database.agentID as Any? ?? NSNull(), "path": database.path, "userVersion": database.envelopeVersion,
                     "components": database.components, "integrity": database.integrity, "sizeBytes": database.sizeBytes, "walBytes": database.walBytes,
                     "journal": database.journal, "problems": database.problems] as [String: Any]
                },
                "legacy": report.legacy.map { ["kind": $0.kind, "agentId": $0.agentID, "path": $0.path] },
                "imports": report.imports.map { result in
                    ["kind": result.source.kind, "agentId": result.source.agentID, "path": result.source.path, "status": result.status,
                     "items": result.items, "removed": result.removedFiles, "message": result.message as Any? ?? NSNull()] as [String: Any]
                },
                "problems": report.problems,
                "notes": report.notes,
            ])
        } else {
            for database in report.databases {
                let name = database.agentID.map { "agent \($0)" } ?? database.role
                let components = database.components.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", ")
                Output.line("\(database.problems.isEmpty ? "ok  " : "FAIL") \(name): \(database.path)")
                Output.line("     schema: user_version \(database.envelopeVersion); \(components)")
                Output.line("     integrity: \(database.integrity.prefix(3).joined(separator: "; ")); size \(Formatting.humanBytes(database.sizeBytes)), WAL \(Formatting.humanBytes(database.walBytes)); journal \(database.journal)")
                for problem in database.problems { Output.line("     problem: \(problem)") }
            }
            for result in report.imports {
                Output.line("import \(result.status): \(result.source.kind) \(result.source.path)" + (result.message.map { " (\($0))" } ?? "") +
                            (result.removedFiles.isEmpty ? "" : "; removed \(result.removedFiles.count) file(s)"))
            }
            for note in report.notes { Output.line("note: \(note)") }
            for problem in report.problems { Output.line("problem: \(problem)") }
            Output.line(report.isHealthy ? "healthy" : "needs attention")
        }
        if !report.isHealthy { throw ExitCode(ExitStatus.failure) }
    }
}
