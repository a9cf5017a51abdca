import ArgumentParser
import Foundation
import VFS

extension VFSCommand {
    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a file's content to standard output, streaming.")

        @OptionGroup var options: VFSOptions
        @Argument(help: "The file.") var path: String

        func run() throws {
            try options.selectedNamespace().streamFile(path) { chunk in try Output.writeData(chunk) }
        }
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace a file atomically from standard input or a host file.",
            discussion: "Missing parent directories are created. The file appears whole or not at all.")

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Option(name: .customLong("from"), help: ArgumentHelp("Read the content from this host file instead of standard input.", valueName: "file"))
        var source: String?
        @Option(help: ArgumentHelp("Permission bits in octal (default 644, or the existing file's).", valueName: "octal"))
        var mode: String?
        @Option(help: ArgumentHelp("A JSON object stored as the file's metadata.", valueName: "json"))
        var meta: String?
        @Argument(help: "The file to write.") var path: String

        func validate() throws {
            if let mode, UInt32(mode, radix: 8).map({ $0 <= 0o7777 }) != true {
                throw ValidationError("--mode must be octal permission bits such as 644")
            }
        }

        func run() throws {
            let namespace = try options.selectedNamespace()
            let fd: Int32
            if let source {
                fd = open(source, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw VFSError(errno, "write", source) }
            } else {
                fd = 0
            }
            defer { if fd != 0 { close(fd) } }
            let writeOptions = WriteOptions(mode: mode.flatMap { UInt32($0, radix: 8) }, metadataJSON: meta)
            let entry = try namespace.writeFile(path, options: writeOptions) { buffer in
                while true {
                    let count = read(fd, buffer.baseAddress, buffer.count)
                    if count >= 0 { return count }
                    if errno != EINTR { throw VFSError(errno, "write", source ?? "<stdin>") }
                }
            }
            if output.json { Output.json(Formatting.json(entry)) }
        }
    }
}
