import ArgumentParser
import Foundation
import VFS

extension VFSCommand {
    struct MakeDirectory: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mkdir", abstract: "Create directories.")

        @OptionGroup var options: VFSOptions
        @Flag(name: .short, help: "Create missing parents; an existing directory is fine.") var parents = false
        @Argument(help: "The directories.") var paths: [String]

        func validate() throws {
            if paths.isEmpty { throw ValidationError("missing a directory to create") }
        }

        func run() throws {
            let namespace = try options.selectedNamespace()
            for path in paths { try namespace.makeDirectory(path, intermediates: parents) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove files and directories.")

        @OptionGroup var options: VFSOptions
        @Flag(name: .short, help: "Remove directories and everything in them.") var recursive = false
        @Flag(name: .short, help: "Ignore missing paths.") var force = false
        @Argument(help: "The paths.") var paths: [String]

        func validate() throws {
            if paths.isEmpty && !force { throw ValidationError("missing a path to remove") }
        }

        func run() throws {
            let namespace = try options.selectedNamespace()
            for path in paths {
                do {
                    let canonical = try VFSPath(path, operation: "rm")
                    if !recursive, !canonical.isRoot, try namespace.stat(canonical.string).isDirectory {
                        throw VFSError(EISDIR, "rm", canonical.string, detail: "use -r to remove a directory")
                    }
                    try namespace.remove(canonical.string, recursive: recursive)
                } catch let error as VFSError where force && error.errno == ENOENT {
                    continue
                } catch let error as VFSError {
                    throw error.with(operation: "rm")
                }
            }
        }
    }

    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mv", abstract: "Move or rename an entry.",
            discussion: "Onto an existing directory, the entry moves inside it. Across namespaces (--to-ns) it fails with EXDEV.")

        @OptionGroup var options: VFSOptions
        @Option(name: .customLong("to-ns"), help: ArgumentHelp("The destination namespace (default: the same).", valueName: "name"))
        var destinationNamespace: String?
        @Argument(help: "The source.") var source: String
        @Argument(help: "The destination.") var destination: String

        func run() throws {
            let fileSystem = try options.fileSystem()
            let target = destinationNamespace ?? options.namespace
            let resolved = try Move.resolve(source, destination, in: fileSystem.namespace(target, operation: "mv"), operation: "mv")
            try fileSystem.move(source, from: options.namespace, to: resolved, in: target)
        }

        /// `mv a dir` and `cp a dir` land at `dir/a`.
        static func resolve(_ source: String, _ destination: String, in namespace: VFSNamespace, operation: String) throws -> String {
            let destinationPath = try VFSPath(destination, operation: operation)
            if try namespace.exists(destinationPath.string), try namespace.attributes(destinationPath.string).isDirectory {
                let name = try VFSPath(source, operation: operation).name
                if !name.isEmpty { return try destinationPath.appending(name).string }
            }
            return destinationPath.string
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Copy an entry, sharing file contents instead of duplicating them.",
            discussion: "Onto an existing directory, the entry is copied inside it. --to-ns copies into another namespace.")

        @OptionGroup var options: VFSOptions
        @Flag(name: .short, help: "Copy directories recursively.") var recursive = false
        @Option(name: .customLong("to-ns"), help: ArgumentHelp("The destination namespace (default: the same).", valueName: "name"))
        var destinationNamespace: String?
        @Argument(help: "The source.") var source: String
        @Argument(help: "The destination.") var destination: String

        func run() throws {
            let fileSystem = try options.fileSystem()
            let target = destinationNamespace ?? options.namespace
            let resolved = try Move.resolve(source, destination, in: fileSystem.namespace(target, operation: "cp"), operation: "cp")
            try fileSystem.copy(source, from: options.namespace, to: resolved, in: target, recursive: recursive)
        }
    }
}
