import Foundation
import Storage
import SystemPackage
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard output and error through their file descriptors (Glibc's `stderr` is a
/// global that strict concurrency rejects).
enum Output {
    /// Writes `text` whole, ignoring failures (for messages on standard error and short replies).
    static func write(_ text: String, to fd: Int32 = 1) {
        var text = text
        text.withUTF8 { bytes in try? writeAll(UnsafeRawBufferPointer(bytes), to: fd) }
    }

    static func writeData(_ data: Data) throws {
        try data.withUnsafeBytes { raw in try writeAll(raw, to: 1) }
    }

    /// Writes every byte of `bytes`, retrying after EINTR and short writes.
    /// - throws: ``CLIFailure`` naming the errno, such as EPIPE when the reader has gone.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws {
        try FileDescriptor(rawValue: fd).writeAll(bytes) { failure in
            let code = failure.rawValue
            let name = fd == 1 ? "standard output" : fd == 2 ? "standard error" : "file descriptor \(fd)"
            // VFSError names the errnos of file operations; EPIPE is the usual one here.
            let symbol = code == EPIPE ? "EPIPE" : VFSError.name(of: code)
            return CLIFailure(message: "\(name): \(String(cString: strerror(code))) (\(symbol))")
        }
    }

    static func line(_ text: String) { write(text + "\n") }

    static func error(_ text: String) { write(text + "\n", to: 2) }

    /// Prints a JSON value (objects, arrays, strings, numbers, booleans, null) on one document.
    static func json(_ value: Any) {
        write(JSONText.render(value) + "\n")
    }

    /// Prints an `Encodable` response type as JSON, in the same form as ``json(_:)``: indented,
    /// keys sorted, slashes unescaped, integers exact.
    static func json(encoding value: some Encodable) throws {
        write(try JSONText.render(encoding: value) + "\n")
    }

    /// Runs `body` with a buffered standard output and flushes it at the end, also when `body`
    /// throws (what was listed before a failure is still shown).
    static func buffered<Result>(_ body: (inout BufferedOutput) throws -> Result) throws -> Result {
        var output = BufferedOutput()
        let result: Result
        do {
            result = try body(&output)
        } catch {
            try? output.flush()
            throw error
        }
        try output.flush()
        return result
    }

    /// Whether standard error is a terminal, for progress lines.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Whether standard output is a terminal; listings then quote names that carry controls.
    static let stdoutIsTerminal = isatty(1) == 1

    /// A name or path as listings show it on standard output: on a terminal, quoted as `ls`
    /// does (`$'...'`) when it holds a control character; in a pipe or a file, unchanged.
    static func listed(_ name: String) -> String {
        stdoutIsTerminal ? TerminalText.quoted(name) : name
    }
}

/// Standard output through a 64 KiB buffer: a listing of 100k entries is a few hundred
/// write(2)s instead of one per line. Obtain one from ``Output/buffered(_:)``, which flushes it.
struct BufferedOutput {
    static let capacity = 64 * 1024
    private var buffer = ""

    fileprivate init() {
        buffer.reserveCapacity(Self.capacity + 4096)
    }

    /// Appends `text`, writing the buffer out once it holds 64 KiB.
    /// - throws: ``CLIFailure`` when standard output fails (EPIPE: the reader has gone).
    mutating func write(_ text: String) throws {
        buffer += text
        if buffer.utf8.count >= Self.capacity { try flush() }
    }

    /// Appends `text` and a newline.
    mutating func line(_ text: String) throws {
        buffer += text
        buffer += "\n"
        if buffer.utf8.count >= Self.capacity { try flush() }
    }

    /// Writes out what is buffered.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUTF8 { bytes in try Output.writeAll(UnsafeRawBufferPointer(bytes), to: 1) }
    }
}

/// A progress line on standard error, redrawn in place, only on a terminal.
final class ProgressLine {
    private let enabled = Output.stderrIsTerminal
    private var shown = false

    func update(_ text: String) {
        guard enabled else { return }
        Output.write("\r\u{1B}[K" + text, to: 2)
        shown = true
    }

    func finish() {
        guard enabled, shown else { return }
        Output.write("\r\u{1B}[K", to: 2)
        shown = false
    }
}
