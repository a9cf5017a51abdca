import Foundation
import Synchronization
import Testing
@_exported import TestSupport

/// Runs the built `openclaw` executable as a real process.
struct CLIRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutData: Data

        func json() throws -> Any { try JSONSerialization.jsonObject(with: stdoutData) }
    }

    /// The `openclaw` binary built beside the test bundle (or `$OPENCLAW_BIN`).
    static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["OPENCLAW_BIN"] { return path }
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((runner as NSString).deletingLastPathComponent as NSString).appendingPathComponent("openclaw")
    }()

    let state: String

    /// Runs `openclaw ARGS --state STATE`... with `--state` inserted after the subcommands.
    @discardableResult
    func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> Result {
        try Self.run(executable: Self.executable, arguments: arguments + ["--state", state], stdin: stdin, environment: environment)
    }

    static func run(executable: String, arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            Issue.record("the openclaw executable is missing at \(executable); run `swift build` before `swift test`")
            throw CancellationError()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        // Drain both pipes concurrently so a large output cannot block the child.
        let group = DispatchGroup()
        let collected = Collected()
        group.enter()
        DispatchQueue.global().async {
            collected.setErrors(errors.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        if let stdin {
            // A child that exits before reading all its input (a write refused for ENOSPC)
            // closes the pipe: that is an EPIPE for the writer, not a SIGPIPE for the tests.
            signal(SIGPIPE, SIG_IGN)
            try? input.fileHandleForWriting.write(contentsOf: stdin)
        }
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: collected.errors, as: UTF8.self), stdoutData: out)
    }

    /// Runs a shell command line (for arguments that are not valid UTF-8, pipes, kills).
    static func shell(_ command: String) throws -> Result {
        try run(executable: "/bin/sh", arguments: ["-c", command])
    }
}

final class Collected: Sendable {
    private let data = Mutex(Data())
    func setErrors(_ value: Data) { data.withLock { $0 = value } }
    var errors: Data { data.withLock { $0 } }
}

/// Runs `body`, which blocks (it waits for child processes), on a thread of its own, so that the
/// two cooperative threads of a two-core machine stay free for the suites that need them (the
/// in-process fake provider): a blocked cooperative thread stalls every async test.
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

extension CLIRunner {
    /// ``run(_:stdin:environment:)`` off the cooperative threads.
    func runOff(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> Result {
        let runner = self
        return try await offCooperativePool { try runner.run(arguments, stdin: stdin, environment: environment) }
    }

    /// ``shell(_:)`` off the cooperative threads.
    static func shellOff(_ command: String) async throws -> Result {
        try await offCooperativePool { try shell(command) }
    }
}
