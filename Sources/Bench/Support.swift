import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the benchmark itself (setup, a native call, a child process).
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ message: String) { description = message }

    /// An error from a failed system call, with the errno text (by default, of `errno`).
    static func system(_ call: String, _ path: String, errno code: Int32 = errno) -> BenchError {
        BenchError("\(call) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }
}

/// Monotonic time.
enum Stopwatch {
    /// ``SystemClock/monotonicNanoseconds()``.
    static func nanoseconds() -> UInt64 { SystemClock.monotonicNanoseconds() }

    /// Seconds taken by `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = nanoseconds()
        try body()
        return Double(nanoseconds() - start) / 1e9
    }
}

/// The timed repetitions of one workload.
struct Sample: Codable {
    /// Seconds per timed repetition, in the order they ran.
    var seconds: [Double]

    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var minimum: Double { seconds.min() ?? .nan }
    var maximum: Double { seconds.max() ?? .nan }
}

/// Runs `body` once untimed (warm-up), then `repetitions` timed times. `setup` and `teardown`
/// run around every run, outside the timing.
func measure(repetitions: Int, setup: () throws -> Void = {}, teardown: () throws -> Void = {}, _ body: () throws -> Void) throws -> Sample {
    try setup()
    try body()
    try teardown()
    var seconds: [Double] = []
    for _ in 0..<repetitions {
        try setup()
        seconds.append(try Stopwatch.time(body))
        try teardown()
    }
    return Sample(seconds: seconds)
}

/// Times each of `bodies` once per round, in turn, after one untimed round: the sides of a
/// comparison then share the machine's moments, and a noisy minute slows them alike.
func measureInterleaved(repetitions: Int, _ bodies: [() throws -> Void]) throws -> [Sample] {
    for body in bodies { try body() }
    var seconds = Array(repeating: [Double](), count: bodies.count)
    for _ in 0..<repetitions {
        for (index, body) in bodies.enumerated() { seconds[index].append(try Stopwatch.time(body)) }
    }
    return seconds.map { Sample(seconds: $0) }
}

/// Progress and diagnostics, on stderr so that stdout stays the report.
enum Log {
    static let start = Stopwatch.nanoseconds()

    static func info(_ message: String) {
        let origin = start
        let elapsed = Double(Stopwatch.nanoseconds() - origin) / 1e9
        FileHandle.standardError.write(Data((String(format: "[%7.1fs] ", elapsed) + message + "\n").utf8))
    }
}

/// A small deterministic generator (SplitMix64), so every run builds the same trees.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `range`.
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// `count` pseudo-random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            for _ in 0..<8 where index < count {
                result[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return result
    }
}

/// Zero-padded decimal, for file names that sort like numbers.
func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Runs a program, waits for it, and returns its stdout. Fails on a non-zero exit.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], captureOutput: Bool = true) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    if captureOutput { process.standardOutput = pipe }
    try process.run()
    let data = captureOutput ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchError("\(executable) \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// Fields of /proc/self/status and /proc/self/io.
enum ProcStatus {
    /// A `kB` field of /proc/self/status, such as `VmHWM` or `VmRSS`, in KiB.
    static func kibibytes(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return number ?? -1
        }
        return -1
    }

    /// Resets VmHWM to the current RSS (Linux >= 4.0). Returns whether it worked.
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// A counter of /proc/self/io (`rchar`, `wchar`, `read_bytes`, `write_bytes`).
    static func io(_ field: String) -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)) ?? -1
        }
        return -1
    }
}

/// Human formatting of times and sizes.
enum Format {
    /// A duration with a unit that keeps 3 significant digits.
    static func time(_ seconds: Double) -> String {
        if seconds.isNaN { return "n/a" }
        if seconds >= 1 { return String(format: "%.2f s", seconds) }
        if seconds >= 1e-3 { return String(format: "%.1f ms", seconds * 1e3) }
        if seconds >= 1e-6 { return String(format: "%.1f µs", seconds * 1e6) }
        return String(format: "%.0f ns", seconds * 1e9)
    }

    static func ratio(_ value: Double) -> String {
        value >= 10 ? String(format: "%.1fx", value) : String(format: "%.2fx", value)
    }

    static func mebibytes(kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }

    static func count(_ value: Int) -> String {
        if value >= 1_000_000, value % 1_000_000 == 0 { return "\(value / 1_000_000)M" }
        if value >= 1000, value % 1000 == 0 { return "\(value / 1000)k" }
        return String(value)
    }
}
