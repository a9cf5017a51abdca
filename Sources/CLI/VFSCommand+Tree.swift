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
            // On a full disk every removal's pages go back to the filesystem once all are removed.
            let shortOfSpace = namespace.fileSystem.isShortOfSpace
            defer { if shortOfSpace { _ = try? namespace.fileSystem.reclaimSpace() } }
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
            // On a full disk every removal's pages go back to the filesystem once all are removed.
            let shortOfSpace = namespace.fileSystem.isShortOfSpace
            defer { if shortOfSpace { _ = try? namespace.fileSystem.reclaimSpace() } }
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

    /// The operands of `mv` and `cp`: SOURCE DESTINATION [--to-ns NAME].
    struct TransferOperands: ParsableArguments {
        @Option(name: .customLong("to-ns"), help: ArgumentHelp("The destination namespace (default: the same).", valueName: "name"))
        var destinationNamespace: String?
        @Argument(help: "The source.") var source: String
        @Argument(help: "The destination.") var destination: String

        /// The destination namespace and path; onto an existing directory, the entry lands
        /// inside it (`mv a dir` gives `dir/a`), as with mv(1) and cp(1).
        func resolve(_ fileSystem: VirtualFileSystem, from options: VFSOptions, _ operation: String) throws -> (namespace: String, path: String) {
            let target = destinationNamespace ?? options.namespace
            let namespace = try fileSystem.namespace(target, operation: operation)
            let destinationPath = try VFSPath(destination, operation: operation)
            if try namespace.exists(destinationPath.string), try namespace.attributes(destinationPath.string).isDirectory {
                let name = try VFSPath(source, operation: operation).name
                if !name.isEmpty { return (target, try destinationPath.appending(name).string) }
            }
            return (target, destinationPath.string)
        }
    }

    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mv", abstract: "Move or rename an entry.",
            discussion: "Onto an existing directory, the entry moves inside it. Across namespaces (--to-ns) it fails with EXDEV.")

        @OptionGroup var options: VFSOptions
        @OptionGroup var operands: TransferOperands

        func run() throws {
            let fileSystem = try options.fileSystem()
            let target = try operands.resolve(fileSystem, from: options, "mv")
            try fileSystem.move(operands.source, from: options.namespace, to: target.path, in: target.namespace)
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Copy an entry, sharing file contents instead of duplicating them.",
            discussion: "Onto an existing directory, the entry is copied inside it. --to-ns copies into another namespace.")

        @OptionGroup var options: VFSOptions
        @Flag(name: .short, help: "Copy directories recursively.") var recursive = false
        @OptionGroup var operands: TransferOperands

        func run() throws {
            let fileSystem = try options.fileSystem()
            let target = try operands.resolve(fileSystem, from: options, "cp")
            try fileSystem.copy(operands.source, from: options.namespace, to: target.path, in: target.namespace, recursive: recursive)
        }
    }
}
