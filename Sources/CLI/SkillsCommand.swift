import AgentRuntime
import ArgumentParser
import Foundation

/// `openclaw skills`: skills in the agent's `skills` namespace.
struct SkillsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skills", abstract: "Upload, list and remove skills (directories with a SKILL.md).",
        subcommands: [Upload.self, List.self, Remove.self], defaultSubcommand: List.self)

    struct Upload: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upload", abstract: "Store a skill directory atomically: all of it or, after any failure, nothing.")
        @OptionGroup var options: AgentOptions
        @Argument(help: "The host directory (it must hold SKILL.md).") var directory: String
        @Option(name: .long, help: "The skill's name: a-z, 0-9, '-', '_'.") var slug: String
        @Flag(name: .long, help: "Replace a skill of the same slug.") var force = false
        @OptionGroup var output: JSONFlag

        func validate() throws {
            do { try SkillStore.validateSlug(slug) } catch let error as AgentRuntimeError { throw ValidationError(error.message) }
        }

        func run() throws {
            let runtime = try options.runtime()
            let (skill, skipped) = try runtime.skills.upload(directory: directory, slug: slug, force: force)
            for item in skipped { Output.error("openclaw: skipped \(item)") }
            if output.json {
                try Output.json(encoding: SkillUploadReport(skill: skill, skipped: skipped))
            } else {
                Output.line("uploaded skill \(skill.slug): \(skill.fileCount) file(s), \(Formatting.humanBytes(skill.sizeBytes)), sha256 \(skill.sha256)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the agent's skills.")
        @OptionGroup var options: AgentOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let skills = try options.runtime().skills.list()
            if output.json {
                try Output.json(encoding: SkillList(skills: skills))
                return
            }
            if skills.isEmpty { Output.error("no skills; upload one with `openclaw skills upload DIR --slug NAME`") }
            for skill in skills {
                Output.line("\(skill.slug)\t\(skill.fileCount) files\t\(Formatting.humanBytes(skill.sizeBytes))\t\(skill.sha256.prefix(12))\t\(skill.description)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a skill.")
        @OptionGroup var options: AgentOptions
        @Argument(help: "The skill's slug.") var slug: String

        func run() throws {
            try options.runtime().skills.remove(slug)
            Output.line("removed skill \(slug)")
        }
    }
}
