import ArgumentParser
import Foundation
import StateStore
import Storage
import VFS

/// `openclaw backup`.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up the state databases.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a tar archive of every database (VACUUM INTO, then integrity_check and a checksum check of every file in each copy).",
            discussion: """
                A damaged file (its bytes fail their checksum) fails the backup with exit 65 and writes nothing, \
                unless --allow-damaged: then the archive is written and the damage is listed. Restore: stop every openclaw process, move the old state root away (or delete its \
                *.sqlite-wal and *.sqlite-shm files), then run tar -xf FILE -C STATE_DIR.
                """)

        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var format: JSONFlag
        @Option(help: ArgumentHelp("The archive to create; must not exist.", valueName: "file")) var output: String
        @Flag(help: "Archive databases with damaged files anyway, and list the damage.") var allowDamaged = false

        func run() throws {
            let line = ProgressLine()
            let report: StateBackupReport
            do {
                report = try stateOptions.directory().createBackup(output: output, allowDamaged: allowDamaged, verify: Self.damagedFiles) { line.update($0) }
            } catch {
                line.finish()
                throw error
            }
            line.finish()
            if format.json {
                return Output.json([
                    "output": report.output, "createdAt": report.createdAt,
                    "databases": report.databases.map { ["name": $0.name, "bytes": $0.bytes, "integrity": $0.integrity, "damaged": $0.damaged] },
                ])
            }
            for member in report.databases {
                Output.line("\(member.name)\t\(Formatting.humanBytes(member.bytes))\tintegrity \(member.integrity)\t" +
                            (member.damaged.isEmpty ? "contents verified" : "\(member.damaged.count) DAMAGED file(s)"))
                for damage in member.damaged { Output.line("  damaged: \(damage)") }
            }
            Output.line("wrote \(report.output)")
        }
    }
}

extension BackupCommand.Create {
    /// The damaged files of a database copy with VFS tables, checked against their checksums.
    static func damagedFiles(_ database: StateDatabase) throws -> [String] {
        guard let version = try database.schemaVersions().components["vfs"], version >= 2 else { return [] }
        return try VirtualFileSystem(database: database).verifyContents().damaged.map { file in
            file.path.isEmpty ? "a staged upload: \(file.problem)" : "\(file.namespace):\(TerminalText.quoted(file.path)): \(file.problem)"
        }
    }
}
