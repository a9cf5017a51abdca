import AgentRuntime
import ArgumentParser
import Foundation
import VFS

/// `openclaw doctor`: check the state databases; `--fix` imports legacy files.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check every database: schema, integrity, every stored content against its checksums, space; --fix repairs what it can.",
        discussion: """
            Legacy files: agents/<id>/agent/auth.json ({"<provider>": {"apiKey": ...}} becomes profile <provider>:default), \
            agents/<id>/agent/auth-profiles.json, agents/<id>/sessions/sessions.json with its *.jsonl transcripts. Each is \
            imported in one transaction, verified, recorded (migration_runs, migration_sources) and only then removed; \
            running --fix again does nothing. --fix also collects the staged chunks of killed uploads and gives free pages \
            back to the filesystem in steps that fit the free space. Exit 0 when healthy, 1 when something needs attention, \
            65 when stored data is damaged (each damaged file is named).
            """
    )

    @OptionGroup var stateOptions: StateOptions
    @Flag(name: .long, help: "Import legacy files, collect killed uploads, give free pages back to the filesystem.") var fix = false
    @Flag(name: .long, help: "Skip reading every content to check its checksums.") var quick = false
    @OptionGroup var output: JSONFlag

    func run() throws {
        let doctor = Doctor(state: stateOptions.directory())
        let line = ProgressLine()
        let report = fix ? doctor.fix(quick: quick) { line.update($0) } : doctor.inspect(quick: quick) { line.update($0) }
        line.finish()
        if output.json {
            Output.json([
                "healthy": report.isHealthy,
                "damaged": report.hasDamage,
                "databases": report.databases.map(Self.json),
                "legacy": report.legacy.map { ["kind": $0.kind, "agentId": $0.agentID, "path": $0.path] },
                "imports": report.imports.map { result in
                    ["kind": result.source.kind, "agentId": result.source.agentID, "path": result.source.path, "status": result.status,
                     "items": result.items, "removed": result.removedFiles, "message": result.message as Any? ?? NSNull()] as [String: Any]
                },
                "problems": report.problems,
                "notes": report.notes,
            ])
        } else {
            for database in report.databases { Self.print(database) }
            for result in report.imports {
                Output.line("import \(result.status): \(result.source.kind) \(result.source.path)" + (result.message.map { " (\($0))" } ?? "") +
                            (result.removedFiles.isEmpty ? "" : "; removed \(result.removedFiles.count) file(s)"))
            }
            for note in report.notes { Output.line("note: \(note)") }
            for problem in report.problems { Output.line("problem: \(problem)") }
            Output.line(report.hasDamage ? "damaged" : report.isHealthy ? "healthy" : "needs attention")
        }
        if report.hasDamage { throw ExitCode(ExitStatus.unusableState) }
        if !report.isHealthy { throw ExitCode(ExitStatus.failure) }
    }

    private static func print(_ database: DatabaseHealth) {
        let name = database.agentID.map { "agent \($0)" } ?? database.role
        let components = database.components.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", ")
        Output.line("\(database.problems.isEmpty ? "ok  " : "FAIL") \(name): \(database.path)")
        Output.line("     schema: user_version \(database.envelopeVersion); \(components)")
        Output.line("     integrity: \(database.integrity.prefix(3).joined(separator: "; ")); size \(Formatting.humanBytes(database.sizeBytes)), WAL \(Formatting.humanBytes(database.walBytes)); journal \(database.journal)")
        if let contents = database.contents {
            Output.line("     contents: \(contents.contents) checked (\(Formatting.humanBytes(contents.bytes))), \(contents.damaged.count) damaged")
        }
        var space = "     space: freelist \(Formatting.humanBytes(database.freelistBytes))" + (database.incrementalVacuum ? "" : " (no incremental vacuum)")
        if let free = database.diskFreeBytes, let total = database.diskBytes {
            space += "; disk \(Formatting.humanBytes(free)) free of \(Formatting.humanBytes(total))"
        }
        if let staged = database.stagedUploads, staged.count > 0 {
            space += "; \(staged.count) staged upload(s), \(Formatting.humanBytes(staged.bytes))"
        }
        if database.releasedContentCount > 0 {
            space += "; \(database.releasedContentCount) released content(s) kept for open readers, \(Formatting.humanBytes(database.releasedContentBytes))"
        }
        Output.line(space)
        for repair in database.repairs { Output.line("     fixed: \(repair)") }
        for problem in database.problems { Output.line("     problem: \(problem)") }
    }

    private static func json(_ database: DatabaseHealth) -> [String: Any] {
        var object: [String: Any] = [
            "role": database.role, "agentId": database.agentID as Any? ?? NSNull(), "path": database.path, "userVersion": database.envelopeVersion,
            "components": database.components, "integrity": database.integrity, "sizeBytes": database.sizeBytes, "walBytes": database.walBytes,
            "journal": database.journal, "problems": database.problems, "damaged": database.isDamaged,
            "freelistBytes": database.freelistBytes, "incrementalVacuum": database.incrementalVacuum,
            "diskFreeBytes": database.diskFreeBytes as Any? ?? NSNull(), "diskBytes": database.diskBytes as Any? ?? NSNull(),
            "repairs": database.repairs,
            "releasedContents": ["count": database.releasedContentCount, "bytes": database.releasedContentBytes],
            "tampered": database.tampered.map { ["namespace": $0.namespace, "path": $0.path, "name": $0.name, "problem": $0.problem] },
        ]
        if let contents = database.contents {
            object["contents"] = [
                "checked": contents.contents, "bytes": contents.bytes,
                "damaged": contents.damaged.map { ["namespace": $0.namespace, "path": $0.path, "contentId": $0.contentID, "problem": $0.problem] as [String: Any] },
            ] as [String: Any]
        }
        if let staged = database.stagedUploads {
            object["stagedUploads"] = ["count": staged.count, "bytes": staged.bytes, "longestIdleNs": staged.longestIdleNanoseconds,
                                       "killed": staged.killed, "killedBytes": staged.killedBytes]
        }
        return object
    }
}
