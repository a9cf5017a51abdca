import ArgumentParser
import FuseMount
import Foundation
import VFS

extension VFSCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a host directory tree, in one transaction.",
            discussion: """
                Symbolic links and special files are skipped with a warning. Nothing changes if any file fails. \
                Each git index in the imported tree (.git/index) is then given the stat data a mount reports \
                for the files it tracks (only those whose content matches the index), so that `git status` \
                on `openclaw vfs mount` hashes no file; --keep-git-index leaves it byte for byte.
                """)

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Flag(help: "Leave git indexes as imported (git status on a mount then hashes every file).") var keepGitIndex = false
        @Argument(help: "The host directory.") var hostDirectory: String
        @Argument(help: "Where to put its contents (default /).") var destination: String = "/"

        func run() throws {
            let namespace = try options.selectedNamespace()
            let line = ProgressLine()
            let report = try namespace.importDirectory(hostDirectory, to: destination) { progress in
                line.update("import: \(progress.files)/\(progress.totalFiles) files, \(Formatting.humanBytes(progress.bytes)) of \(Formatting.humanBytes(progress.totalBytes))")
            }
            line.finish()
            let indexes = keepGitIndex ? [] : try refreshGitIndexes(namespace)
            if output.json {
                Host.warnSkipped(report)
                var object = Formatting.json(report)
                object["gitIndexes"] = indexes.map(Formatting.json)
                return Output.json(object)
            }
            Host.report(report, verb: "imported", json: false)
            for index in indexes {
                let outcome = index.skipped.map { "left as it is: \($0)" } ?? "\(index.refreshed) of \(index.entries) entries given the mount's stat data"
                Output.line("git index \(TerminalText.quoted(index.index)): \(outcome)")
            }
        }

        /// Refreshes every `.git/index` under the destination (see ``GitIndexRefresh``).
        func refreshGitIndexes(_ namespace: VFSNamespace) throws -> [GitIndexRefresh.Report] {
            var worktrees: [String] = []
            try namespace.walk(destination) { entry in
                guard !entry.isDirectory, entry.path.hasSuffix("/.git/index") else { return }
                let worktree = String(entry.path.dropLast("/.git/index".count))
                worktrees.append(worktree.isEmpty ? "/" : worktree)
            }
            return try worktrees.map { worktree in
                do {
                    return try GitIndexRefresh.refresh(namespace, worktree: worktree)
                } catch let error as VFSError {
                    // Not an index this build reads, or one it could not read or write back: the
                    // import stands, the index is as imported, and the output says why.
                    let index = (worktree == "/" ? "" : worktree) + "/.git/index"
                    return GitIndexRefresh.Report(index: index, entries: 0, refreshed: 0,
                                                  skipped: error.errno == EINVAL ? error.detail ?? "unreadable" : error.description)
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a subtree to a host directory.",
            discussion: """
                Usage: openclaw vfs export [PATH] HOSTDIR. Writes from one consistent snapshot with stored modes and times, \
                names as their stored bytes. Checks every path first: if one would not fit in the host's PATH_MAX, nothing \
                is written (ENAMETOOLONG). Database rows edited by hand are skipped with a warning; the exit status is then 1.
                """)

        @OptionGroup var options: VFSOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "[PATH] HOSTDIR: the VFS path (default /) and the host directory.") var operands: [String]

        func validate() throws {
            guard (1...2).contains(operands.count) else { throw ValidationError("expected [PATH] HOSTDIR") }
        }

        func run() throws {
            let namespace = try options.selectedNamespace()
            let path = operands.count == 2 ? operands[0] : "/"
            let hostDirectory = operands[operands.count - 1]
            let line = ProgressLine()
            let report = try namespace.exportDirectory(path, to: hostDirectory) { progress in
                line.update("export: \(progress.files)/\(progress.totalFiles) files, \(Formatting.humanBytes(progress.bytes)) of \(Formatting.humanBytes(progress.totalBytes))")
            }
            line.finish()
            Host.report(report, verb: "exported", json: output.json)
            // What was written is complete, but it is not the whole tree: say so.
            if !report.skipped.isEmpty { throw ExitCode.failure }
        }
    }

    enum Host {
        /// A warning on standard error for each path the transfer skipped.
        static func warnSkipped(_ report: HostTransferReport) {
            for skipped in report.skipped {
                Output.error("openclaw: warning: skipped \(TerminalText.quoted(skipped.path)): \(TerminalText.quoted(skipped.reason))")
            }
        }

        static func report(_ report: HostTransferReport, verb: String, json: Bool) {
            warnSkipped(report)
            if json { return Output.json(Formatting.json(report)) }
            Output.line("\(verb) \(report.files) file\(report.files == 1 ? "" : "s"), \(report.directories) director\(report.directories == 1 ? "y" : "ies"), \(Formatting.humanBytes(report.bytes))\(report.skipped.isEmpty ? "" : "; skipped \(report.skipped.count)")")
        }
    }
}
