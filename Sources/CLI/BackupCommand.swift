import ArgumentParser
import Foundation
import StateStore

/// `openclaw backup`.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up the state databases.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a tar archive of every database (VACUUM INTO, then integrity_check of each copy).",
            discussion: """
                Restore: stop every openclaw process, move the old state root away (or delete its \
                *.sqlite-wal and *.sqlite-shm files), then run tar -xf FILE -C STATE_DIR.
                """)

        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var format: JSONFlag
        @Option(help: ArgumentHelp("The archive to create; must not exist.", valueName: "file")) var output: String

        func run() throws {
            let line = ProgressLine()
            let report = try stateOptions.directory().createBackup(output: output) { line.update($0) }
            line.finish()
            if format.json {
                return Output.json([
                    "output": report.output, "createdAt": report.createdAt,
                    "databases": report.databases.map { ["name": $0.name, "bytes": $0.bytes, "integrity": $0.integrity] },
                ])
            }
            for member in report.databases {
                Output.line("\(member.name)\t\(Formatting.humanBytes(member.bytes))\tintegrity \(member.integrity)")
            }
            Output.line("wrote \(report.output)")
        }
    }
}
