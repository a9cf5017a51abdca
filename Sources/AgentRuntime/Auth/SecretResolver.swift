import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resolves ``SecretRef``s: environment variables, files and programs.
struct SecretResolver: Sendable {
    var environment: RuntimeEnvironment
    /// How long an `exec` source may run.
    var execTimeout: Duration = .seconds(10)

    func resolve(_ ref: SecretRef) throws -> String {
        let value: String
        switch ref.source {
        case .env:
            guard let found = environment.variables[ref.id], !found.isEmpty else {
                throw AgentRuntimeError(.secretUnavailable, "environment variable \(ref.id) is not set")
            }
            value = found
        case .file:
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: ref.id)) } catch {
                throw AgentRuntimeError(.secretUnavailable, "cannot read secret file \(ref.id): \((error as NSError).localizedDescription)")
            }
            guard data.count <= 65_536, let text = String(data: data, encoding: .utf8) else {
                throw AgentRuntimeError(.secretUnavailable, "secret file \(ref.id) is not UTF-8 text of at most 64 KiB")
            }
            value = text
        case .exec:
            value = try run(ref.id)
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw AgentRuntimeError(.secretUnavailable, "the \(ref.source.rawValue) secret \(ref.id) is empty") }
        return trimmed
    }

    private func run(_ program: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw AgentRuntimeError(.secretUnavailable, "cannot run secret program \(program): \((error as NSError).localizedDescription)")
        }
        // Read until EOF (the program closed its output) or the time limit.
        let reader = output.fileHandleForReading
        let collected = DispatchSemaphore(value: 0)
        let box = DataBox()
        DispatchQueue.global().async {
            box.data = reader.readDataToEndOfFile()
            collected.signal()
        }
        if collected.wait(timeout: .now() + .milliseconds(Int(execTimeout / .milliseconds(1)))) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) did not finish within \(execTimeout)")
        }
        let data = box.data
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) exited with status \(process.terminationStatus)")
        }
        guard data.count <= 65_536, let text = String(data: data, encoding: .utf8) else {
            throw AgentRuntimeError(.secretUnavailable, "secret program \(program) printed more than 64 KiB or not UTF-8")
        }
        return text
    }
}

private final class DataBox: @unchecked Sendable {
    // @unchecked: written once by the reader thread before the semaphore is signalled, read after.
    var data = Data()
}
