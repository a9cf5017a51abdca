import ArgumentParser
import Foundation
import VFS

extension VFSCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a directory.")

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Flag(name: .short, help: "Long format: mode, size, modification time.") var long = false
        @Flag(name: .customShort("R"), help: "Recurse, drawn as a tree.") var recursive = false
        @Argument(help: "The path (default /).") var path: String = "/"

        func run() throws {
            let namespace = try options.selectedNamespace()
            if recursive {
                return try runTree(namespace)
            }
            let entries = try namespace.list(path)
            try Output.buffered { stdout in
                if output.json {
                    var array = JSONArrayStream()
                    for entry in entries { try array.append(Formatting.json(entry), to: &stdout) }
                    return try array.finish(&stdout)
                }
                for entry in entries {
                    try stdout.line(long ? Self.longLine(entry) : Output.listed(entry.name) + (entry.isDirectory ? "/" : ""))
                }
            }
        }

        /// `-rw-r--r--        12 2026-11-25 14:57 name`, the name as ``Output/listed(_:)`` shows it,
        /// or `label` in its place (the top of `ls -lR` shows its path).
        static func longLine(_ entry: VFSEntry, label: String? = nil) -> String {
            let size = String(entry.size)
            let name = label ?? Output.listed(entry.name) + (entry.isDirectory ? "/" : "")
            return "\(Formatting.modeString(entry)) \(String(repeating: " ", count: max(0, 10 - size.count)))\(size) \(Formatting.shortDate(entry.mtimeNanoseconds)) \(name)"
        }

        private func runTree(_ namespace: VFSNamespace) throws {
            if output.json {
                return try Output.buffered { stdout in
                    var array = JSONArrayStream()
                    try namespace.walk(path) { try array.append(Formatting.json($0), to: &stdout) }
                    try array.finish(&stdout)
                }
            }
            // One walk is one snapshot; siblings arrive in name order within it.
            var top: VFSEntry?
            // Keyed by bytes: canonically equivalent names (NFC and NFD) are distinct entries.
            var children: [PathKey: [VFSEntry]] = [:]
            try namespace.walk(path) { entry in
                guard top != nil else { return top = entry }
                let bytes = Array(entry.path.utf8)
                let slash = bytes.lastIndex(of: UInt8(ascii: "/")) ?? 0
                let parent = slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
                children[PathKey(parent), default: []].append(entry)
            }
            guard let top else { return }
            try Output.buffered { stdout in
                try stdout.line(long ? Self.longLine(top, label: Output.listed(top.path)) : Output.listed(top.path))
                guard top.isDirectory else { return }
                var directories = 0
                var files = 0
                func draw(_ directory: String, prefix: String) throws {
                    let children = children[PathKey(directory)] ?? []
                    for (index, child) in children.enumerated() {
                        let last = index == children.count - 1
                        let name = Output.listed(child.name)
                        let label = long ? "[\(Formatting.modeString(child)) \(child.size)]  \(name)" : name
                        try stdout.line(prefix + (last ? "└── " : "├── ") + label + (child.isDirectory ? "/" : ""))
                        if child.isDirectory {
                            directories += 1
                            try draw(child.path, prefix: prefix + (last ? "    " : "│   "))
                        } else {
                            files += 1
                        }
                    }
                }
                try draw(top.path, prefix: "")
                try stdout.line("\n\(directories) director\(directories == 1 ? "y" : "ies"), \(files) file\(files == 1 ? "" : "s")")
            }
        }
    }

    struct Stat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an entry's attributes, hash and metadata.")

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The path.") var path: String

        func run() throws {
            let entry = try options.selectedNamespace().stat(path)
            if output.json { return Output.json(Formatting.json(entry)) }
            Output.line("  Path: \(Output.listed(entry.path))")
            Output.line("  Kind: \(entry.kind.rawValue)")
            Output.line("  Size: \(entry.size)")
            Output.line("  Mode: \(Formatting.octalMode(entry.mode)) (\(Formatting.modeString(entry)))")
            Output.line("Modify: \(Formatting.timestamp(entry.mtimeNanoseconds))")
            Output.line("Change: \(Formatting.timestamp(entry.ctimeNanoseconds))")
            if let sha = entry.sha256 { Output.line("SHA256: \(sha)") }
            Output.line("  Meta: \(Output.listed(entry.metadataJSON))")
        }
    }

    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries under a path, optionally filtered.")

        enum EntryType: String, ExpressibleByArgument, CaseIterable {
            case f, d
        }

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Option(help: ArgumentHelp("Keep names matching this shell glob.", valueName: "glob")) var name: String?
        @Option(help: "Keep only files (f) or directories (d).") var type: EntryType?
        @Argument(help: "Where to start (default /).") var path: String = "/"

        func run() throws {
            let namespace = try options.selectedNamespace()
            try Output.buffered { stdout in
                var array = JSONArrayStream()
                try namespace.walk(path) { entry in
                    if let type, (type == .d) != entry.isDirectory { return }
                    if let name, fnmatch(name, entry.name, 0) != 0 { return }
                    if output.json {
                        try array.append(Formatting.json(entry), to: &stdout)
                    } else {
                        try stdout.line(Output.listed(entry.path))
                    }
                }
                if output.json { try array.finish(&stdout) }
            }
        }
    }

    struct DiskUsage: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "du", abstract: "Total the size of a subtree.")

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The path (default /).") var path: String = "/"

        func run() throws {
            let usage = try options.selectedNamespace().diskUsage(path)
            if output.json {
                return Output.json(["path": usage.path, "bytes": usage.bytes, "files": usage.files, "directories": usage.directories])
            }
            Output.line("\(usage.bytes)\t\(Output.listed(usage.path))\t(\(Formatting.humanBytes(usage.bytes)), \(usage.files) file\(usage.files == 1 ? "" : "s"), \(usage.directories) director\(usage.directories == 1 ? "y" : "ies"))")
        }
    }
}
