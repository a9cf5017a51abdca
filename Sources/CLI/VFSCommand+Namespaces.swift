import ArgumentParser
import Foundation
import VFS

extension VFSCommand {
    struct Namespaces: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, create and remove namespaces.",
            subcommands: [ListNamespaces.self, Create.self, RemoveNamespace.self],
            defaultSubcommand: ListNamespaces.self)

        struct ListNamespaces: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List namespaces with their sizes.")
            @OptionGroup var options: VFSOptions
            @OptionGroup var output: JSONFlag

            func run() throws {
                let namespaces = try options.fileSystem().namespaces()
                if output.json { return Output.json(namespaces.map(Formatting.json)) }
                for info in namespaces {
                    var line = "\(info.name)\t\(info.entries) entries\t\(Formatting.humanBytes(info.bytes))"
                    if let origin = info.forkedFrom { line += "\tforked from \(origin)" }
                    Output.line(line)
                }
            }
        }

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create an empty namespace.")
            @OptionGroup var options: VFSOptions
            @Argument(help: "The namespace name.") var name: String

            func run() throws { try options.fileSystem().createNamespace(name) }
        }

        struct RemoveNamespace: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a namespace and everything in it.")
            @OptionGroup var options: VFSOptions
            @Argument(help: "The namespace name.") var name: String

            func run() throws { try options.fileSystem().removeNamespace(name) }
        }
    }

    struct Fork: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy a namespace without copying file contents.")
        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The source namespace.") var source: String
        @Argument(help: "The new namespace (run:<id>, snapshot:<name>, ...).") var destination: String

        func run() throws {
            let info = try options.fileSystem().fork(source, to: destination)
            if output.json { return Output.json(Formatting.json(info)) }
            Output.line("forked \(source) to \(destination): \(info.entries) entries, \(Formatting.humanBytes(info.bytes)) shared")
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List paths added, removed or changed from namespace A to B.")
        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Namespace A.") var first: String
        @Argument(help: "Namespace B.") var second: String

        func run() throws {
            let diff = try options.fileSystem().diff(first, second)
            if output.json { return Output.json(["added": diff.added, "removed": diff.removed, "changed": diff.changed]) }
            var lines = diff.added.map { ("A", $0) } + diff.removed.map { ("D", $0) } + diff.changed.map { ("M", $0) }
            lines.sort { $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) }
            for (mark, path) in lines { Output.line("\(mark) \(Output.listed(path))") }
        }
    }

    struct Quota: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the namespace's quotas.",
            discussion: "Writes that would pass a quota fail with EDQUOT (EFBIG for the file size) and change nothing.")
        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        // Values are taken as given, `-1` included, so that a negative quota is the documented
        // EINVAL of the VFS rather than a usage error.
        @Option(parsing: .unconditional, help: "Maximum bytes of file content.") var maxBytes: Int64?
        @Option(parsing: .unconditional, help: "Maximum number of files and directories.") var maxEntries: Int64?
        @Option(parsing: .unconditional, help: "Maximum size of one file.") var maxFileBytes: Int64?
        @Flag(help: "Remove all quotas of the namespace.") var clear = false

        func run() throws {
            let fileSystem = try options.fileSystem()
            var info: NamespaceInfo
            if clear {
                info = try fileSystem.setQuota(options.namespace, NamespaceQuota())
            } else if maxBytes != nil || maxEntries != nil || maxFileBytes != nil {
                let current = try? fileSystem.namespaceInfo(options.namespace, operation: "quota")
                info = try fileSystem.setQuota(options.namespace, NamespaceQuota(
                    maxBytes: maxBytes ?? current?.maxBytes, maxEntries: maxEntries ?? current?.maxEntries,
                    maxFileBytes: maxFileBytes ?? current?.maxFileBytes))
            } else {
                info = try fileSystem.namespaceInfo(options.namespace, operation: "quota")
            }
            if output.json { return Output.json(Formatting.json(info)) }
            func show(_ value: Int64?) -> String { value.map(String.init) ?? "unlimited" }
            Output.line("\(info.name): \(info.bytes) bytes of \(show(info.maxBytes ?? fileSystem.limits.maxNamespaceBytes)), \(info.entries) entries of \(show(info.maxEntries ?? fileSystem.limits.maxNamespaceEntries)), files up to \(info.maxFileBytes ?? fileSystem.limits.maxFileBytes) bytes")
        }
    }
}
