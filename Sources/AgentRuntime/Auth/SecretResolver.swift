import Foundation
import Subprocess
import SystemPackage

/// Resolves ``SecretRef``s: environment variables, files and programs.
///
/// Nothing here blocks a concurrency thread: a file is read on the storage lane and a program
/// runs through swift-subprocess's async API, killed when it outlives ``execTimeout``.
struct SecretResolver: Sendable {
    var environment: RuntimeEnvironment
    /// How long an `exec` source may run.
    var execTimeout: Duration = .seconds(10)
    /// The most bytes a file or program may give.
    static let maxSecretBytes = 65_536

    func resolve(_ ref: SecretRef) async throws -> String {
        switch ref.source {
        case .env: try resolveWithoutProgram(ref)
        case .file: try await BlockingWork.storage { [self] in try resolveWithoutProgram(ref) }
        case .exec: try Self.checked(try await run(ref.id), ref)
        }
    }

    /// Resolves an `env` or `file` reference in place (a file is read on the calling thread: the
    /// caller is off the concurrency threads). A program is not run here.
    func resolveWithoutProgram(_ ref: SecretRef) throws -> String {
        switch ref.source {
        case .env:
            guard let found = environment.variables[ref.id], !found.isEmpty else {
                throw AgentRuntimeError(.secretUnavailable, "environment variable \(ref.id) is not set")
            }
            return try Self.checked(found, ref)
        case .file:
            return try Self.checked(try Self.read(ref.id), ref)
        case .exec:
            throw AgentRuntimeError(.secretUnavailable, "the secret program \(ref.id) runs only in the async resolver")
        }
    }

    /// The value without surrounding whitespace, which must leave something.
    private static func checked(_ value: String, _ ref: SecretRef) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw AgentRuntimeError(.secretUnavailable, "the \(ref.source.rawValue) secret \(ref.id) is empty") }
        return trimmed
    }

    private static func read(_ path: String) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw AgentRuntimeError(.secretUnavailable, "cannot read secret file \(path): \((error as NSError).localizedDescription)")
        }
        guard data.count <= maxSecretBytes, let text = String(data: data, encoding: .utf8) else {
            throw AgentRuntimeError(.secretUnavailable, "secret file \(path) is not UTF-8 text of at most 64 KiB")
        }
        return text
    }

    /// Runs `program` without arguments, standard input or error, and returns what it printed.
    private func run(_ program: String) async throws -> String {
        let timeout = execTimeout
        let outcome: (status: TerminationStatus, output: String?)? = try await withThrowingTaskGroup(of: Optional<(status: TerminationStatus, output: String?)>.self) { group in
            group.addTask {
                do {
                    // Its own session, so that the teardown reaches what it started too (a `sleep`
                    // holding its standard output would otherwise keep the read waiting).
                    var options = PlatformOptions()
                    options.createSession = true
                    options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200))]
                    let result = try await Subprocess.run(.path(FilePath(program)), platformOptions: options, input: .none,
                                                          output: .string(limit: Self.maxSecretBytes), error: .discarded)
                    return (result.terminationStatus, result.standardOutput)
                } catch let error as SubprocessError {
                    throw AgentRuntimeError(.secretUnavailable, "cannot run secret program \(program): \(error)")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            // The first to finish wins; cancelling the other kills the program if it is still running.
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome else {
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) did not finish within \(timeout)")
        }
        guard case .exited(0) = outcome.status else {
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) ended with \(outcome.status)")
        }
        guard let text = outcome.output else {
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) printed more than 64 KiB or not UTF-8")
        }
        return text
    }
}
