import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard output and error through their file descriptors (Glibc's `stderr` is a
/// global that strict concurrency rejects).
enum Output {
    static func write(_ text: String, to fd: Int32 = 1) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += count
        }
    }

    static func writeData(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(1, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw CLIFailure(message: "standard output: \(String(cString: strerror(errno)))")
                }
                offset += count
            }
        }
    }

    static func line(_ text: String) { write(text + "\n") }

    static func error(_ text: String) { write(text + "\n", to: 2) }

    /// Prints a JSON value (objects, arrays, strings, numbers, booleans, null) on one document.
    static func json(_ value: Any) {
        write(JSONText.render(value) + "\n")
    }

    /// Whether standard error is a terminal, for progress lines.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
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
