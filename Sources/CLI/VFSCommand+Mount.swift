import AgentRuntime
import ArgumentParser
import Foundation
import FuseMount
import Logging
import StateStore
import Storage
import VFS

extension VFSCommand {
    struct Mount: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mount an agent's VFS read-only with FUSE.",
            discussion: """
                With --ns, that namespace is the root; without it, every namespace is a top-level \
                directory (workspace/, skills/, run:<id>/, ...). Runs until Ctrl-C or SIGTERM, then \
                unmounts. Changes written by other processes show within a second. Needs /dev/fuse \
                (root, or the fusermount3 helper).
                """)

        @OptionGroup var stateOptions: StateOptions
        @Option(name: .long, help: ArgumentHelp("The agent whose database to mount.", valueName: "id"))
        var agent: String = "main"
        @Option(name: .customLong("ns"), help: ArgumentHelp("Mount only this namespace as the root.", valueName: "name"))
        var namespace: String?
        @Flag(help: "Detach once the mount is ready; logs go to <state>/logs/vfs-mount-<agent>.log ($TMPDIR/openclaw-logs-<uid>/ when the state is read-only).")
        var background = false
        @Flag(help: "Let other users read the mount (needs user_allow_other in /etc/fuse.conf for non-root).")
        var allowOther = false
        @Flag(help: "With --background: print the mount point, the pid and the log as JSON.") var json = false
        @Flag(help: .hidden) var detachedChild = false
        @Argument(help: "An existing, empty directory.") var mountPoint: String

        func validate() throws {
            do { _ = try AgentID(agent) } catch let error as StateError { throw ValidationError(error.message) }
            if let namespace, !NamespaceName.isValid(namespace) {
                throw ValidationError("invalid namespace name '\(namespace)'")
            }
            if json && !background { throw ValidationError("--json needs --background (a foreground mount prints nothing to read)") }
        }

        func run() throws {
            if background && !detachedChild { return try runInBackground() }
            if detachedChild { _ = setsid() }
            do {
                try serve()
            } catch where detachedChild {
                Output.line("error: \(Self.message(error))")
                throw ExitCode.failure
            }
        }

        static func message(_ error: any Error) -> String {
            if let error = error as? FuseMountError { return error.description }
            if let error = error as? VFSError { return error.description }
            return "\(error)"
        }

        private func serve() throws {
            let agentID = try AgentID(agent)
            // Memory-mapped reads: the mount serves large files several times faster that way.
            let state = StateDirectory(root: stateOptions.state, options: StateDatabaseOptions(mmapSizeBytes: 1 << 30, readOnly: true))
            // The mount only reads: no write lock, no schema change, so writers keep working.
            let database = try state.openAgent(agentID, components: [AgentRuntime.fileSystemSchema])
            let fileSystem = VirtualFileSystem(database: database, builtInNamespaces: AgentRuntime.builtInNamespaces)
            // A damaged database is refused now, not request by request once mounted.
            try fileSystem.probe()
            let configuration = FuseMountConfiguration(
                mountPoint: mountPoint, root: namespace.map { .namespace($0) } ?? .allNamespaces,
                sourceName: "openclaw:\(agentID)" + (namespace.map { "/\($0)" } ?? ""), allowOther: allowOther)
            var logger = Logger(label: "openclaw.fuse") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .info
            try FuseMount(fileSystem: fileSystem, databasePath: database.path, configuration: configuration, logger: logger).run {
                if detachedChild {
                    Output.line("ready")
                    // The parent stops reading; later output must not hit a closed pipe.
                    let null = open("/dev/null", O_WRONLY)
                    dup2(null, 1)
                    close(null)
                } else {
                    Output.error("openclaw: mounted \(configuration.sourceName) read-only at \(mountPoint); Ctrl-C or `openclaw vfs umount \(mountPoint)` to unmount")
                }
            }
        }

        /// Starts this command again as a detached child and returns once the mount answers.
        private func runInBackground() throws {
            let state = StateDirectory(root: stateOptions.state)
            // A read-only state directory cannot hold the log: it goes to the temporary directory.
            let logDirectory = state.readOnlyReason == nil ? state.root + "/logs"
                : (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/openclaw-logs-\(getuid())"
            try FilePermissions.createPrivateDirectory(logDirectory)
            let logPath = logDirectory + "/vfs-mount-\(try AgentID(agent)).log"
            // Append: another mount of the same agent may be writing to this log.
            let logDescriptor = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard logDescriptor >= 0 else {
                throw CLIFailure(message: "mount \(mountPoint): cannot open the log \(logPath): \(String(cString: strerror(errno)))")
            }
            let log = FileHandle(fileDescriptor: logDescriptor, closeOnDealloc: true)
            var arguments = ["vfs", "mount", mountPoint, "--agent", agent, "--detached-child"]
            if let stateDirectory = stateOptions.state { arguments += ["--state", stateDirectory] }
            if let namespace { arguments += ["--ns", namespace] }
            if allowOther { arguments.append("--allow-other") }
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            child.arguments = arguments
            let readiness = Pipe()
            child.standardOutput = readiness
            child.standardError = log
            child.standardInput = FileHandle.nullDevice
            try child.run()
            let answer = String(decoding: readiness.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard answer == "ready" else {
                child.waitUntilExit()
                let reason = answer.hasPrefix("error: ") ? String(answer.dropFirst(7)) : "the mount process exited (\(child.terminationStatus)); see \(logPath)"
                throw CLIFailure(message: reason)
            }
            // Ready means mounted; prove that a listing works before returning.
            guard (try? FileManager.default.contentsOfDirectory(atPath: mountPoint)) != nil else {
                throw CLIFailure(message: "mount \(mountPoint): mounted but cannot be listed; see \(logPath)")
            }
            if json {
                return Output.json(["mountPoint": URL(fileURLWithPath: mountPoint).standardizedFileURL.path,
                                    "pid": Int(child.processIdentifier), "log": logPath])
            }
            Output.line("mounted at \(mountPoint) (pid \(child.processIdentifier), log \(logPath))")
        }
    }

    struct Unmount: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "umount", abstract: "Unmount an openclaw mount, also one left stale by a killed process.")

        @OptionGroup var stateOptions: StateOptions
        @Flag(help: "Detach now even if busy; the mount goes away when the last user leaves.") var lazy = false
        @Argument(help: "The mount point.") var mountPoint: String

        func run() throws {
            do {
                try MountPoint.unmount(mountPoint, lazy: lazy)
            } catch let error as FuseMountError {
                throw CLIFailure(message: error.description)
            }
        }
    }
}
