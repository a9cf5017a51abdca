import AgentRuntime
import ArgumentParser
import Foundation
import Logging
import FuseMount
import StateStore
import Storage
import VFS

/// The `openclaw` command.
struct OpenClaw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openclaw",
        abstract: "An agent sandbox whose state lives in SQLite.",
        discussion: """
            Exit codes: 0 success; 1 the operation failed (the message names the errno or the reason); \
            2 `models status --check`: a credential expires within 24 hours; \
            64 usage error; 65 a state database is unusable (corrupt, newer schema, wrong agent); \
            70 internal error; 130 an agent run was interrupted (Ctrl-C, SIGTERM).
            """,
        version: "0.1.0",
        subcommands: [
            AgentCommand.self, SessionsCommand.self, ModelsCommand.self, SkillsCommand.self, DoctorCommand.self, VFSCommand.self, BackupCommand.self,
            GatewayCommand.self, AgentsCommand.self, ReplicaCommand.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        if let problem = InvalidArgument.find() {
            Output.error("openclaw: argument \(problem.index): \(VFSError(EILSEQ, "argument", problem.text).errnoText) (EILSEQ): not valid UTF-8")
            exit(ExitStatus.failure)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["OPENCLAW_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return handler
        }
        do {
            var command = try OpenClaw.parseAsRoot()
            do {
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                await CommandHost.shutdown()
                throw error
            }
            await CommandHost.shutdown()
        } catch let error as VFSError {
            Output.error(Main.message(error))
            if error.errno == EROFS { Output.error("hint: \(ExitStatus.readOnlyHint)") }
            if error.isDamage {
                Output.error("openclaw: \(ExitStatus.damageHint)")
                exit(ExitStatus.unusableState)
            }
            exit(ExitStatus.failure)
        } catch let error as StorageError {
            Output.error(Main.message(error.summary))
            if let hint = error.hint { Output.error("hint: \(hint)") }
            if error.code == .corrupt || error.code == .integrityCheckFailed { Output.error("openclaw: \(ExitStatus.damageHint)") }
            exit(error.code == .cannotOpen || error.code == .io || error.code == .backupFailed ? ExitStatus.failure : ExitStatus.unusableState)
        } catch let error as StateError {
            Output.error(Main.message(error))
            exit(error.errno == EINVAL ? ExitStatus.usage : ExitStatus.failure)
        } catch let error as FuseMountError {
            Output.error(Main.message(error))
            exit(ExitStatus.failure)
        } catch let error as AgentRuntimeError {
            Output.error(Main.message(error.message))
            if let hint = error.hint ?? (error.code == .readOnly ? ExitStatus.readOnlyHint : nil) { Output.error("hint: \(hint)") }
            if error.code == .unusableDatabase { Output.error("openclaw: \(ExitStatus.damageHint)") }
            exit(error.exitStatus)
        } catch let error as CLIFailure {
            Output.error(Main.message(error.message))
            exit(error.status)
        } catch {
            // ArgumentParser's own errors (usage, help, version) keep their exit codes; anything
            // else reaching here is a bug.
            if OpenClaw.exitCode(for: error) == .failure, !(error is ExitCode) {
                Output.error("openclaw: internal error: \(TerminalText.quoted(String(describing: error)))")
                exit(ExitStatus.internalError)
            }
            OpenClaw.exit(withError: error)
        }
    }
}

extension Main {
    /// `openclaw: MESSAGE` for standard error. The errors quote the names they carry; any
    /// control character still left (a name inside another module's message) makes the whole
    /// message quoted, so an error line can never drive the terminal.
    static func message(_ error: Any) -> String {
        "openclaw: " + TerminalText.quoted(String(describing: error))
    }
}

/// The documented exit statuses.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let unusableState: Int32 = 65
    static let internalError: Int32 = 70

    /// What to do about damaged stored data, printed after the error (exit 65).
    /// What to do about a write refused by a read-only state directory (`EROFS`).
    static let readOnlyHint = "the state directory is read-only: every read command works on it; to change it, copy it to writable storage (cp -a) and point --state there"

    /// What to do about damaged stored data, printed after the error (exit 65).
    static let damageHint = "the database is damaged: `openclaw doctor` names every damaged file; move the file away or restore it from a backup (`openclaw backup create` archives verified copies)"
}

/// A failure already explained by its message.
struct CLIFailure: Error {
    var message: String
    var status: Int32 = ExitStatus.failure
}

/// Finds a command-line argument that is not valid UTF-8 (Swift would silently repair it).
enum InvalidArgument {
    static func find() -> (index: Int, text: String)? {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
            if String(validating: bytes, as: UTF8.self) == nil {
                return (index, String(decoding: bytes, as: UTF8.self))
            }
        }
        return nil
    }
}
