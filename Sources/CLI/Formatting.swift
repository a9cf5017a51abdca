import AgentRuntime
import Foundation
import FuseMount
import Storage
import VFS

/// Text and JSON renderings shared by the commands.
enum Formatting {
    /// `drwxr-xr-x` / `-rw-r--r--`.
    static func modeString(_ entry: VFSEntry) -> String {
        var text = entry.isDirectory ? "d" : "-"
        let letters: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for (bit, letter) in letters.enumerated() {
                text.append(entry.mode >> UInt32(shift) & (4 >> UInt32(bit)) != 0 ? letter : "-")
            }
        }
        return text
    }

    static func octalMode(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `2026-11-25 14:57` in local time (`TZ`), by localtime_r: a DateFormatter per line was
    /// most of the time of `ls -l` on a large directory.
    static func shortDate(_ nanoseconds: Int64) -> String {
        guard let time = brokenDown(EpochTime.flooredSeconds(nanoseconds).seconds, local: true) else { return "?" }
        return "\(digits(time.year, 4))-\(digits(time.month, 2))-\(digits(time.day, 2)) \(digits(time.hour, 2)):\(digits(time.minute, 2))"
    }

    /// RFC 3339 with nanoseconds, in UTC.
    static func timestamp(_ nanoseconds: Int64) -> String {
        // Floored seconds, so times before 1970 keep a positive fraction.
        let (seconds, fraction) = EpochTime.flooredSeconds(nanoseconds)
        guard let time = brokenDown(seconds, local: false) else { return "?" }
        return "\(digits(time.year, 4))-\(digits(time.month, 2))-\(digits(time.day, 2))T"
            + "\(digits(time.hour, 2)):\(digits(time.minute, 2)):\(digits(time.second, 2)).\(digits(fraction, 9))Z"
    }

    /// The calendar fields of `seconds` since the epoch, in local time or UTC.
    private static func brokenDown(_ seconds: Int, local: Bool) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)? {
        var time = time_t(seconds)
        var fields = tm()
        guard (local ? localtime_r(&time, &fields) : gmtime_r(&time, &fields)) != nil else { return nil }
        return (Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday), Int(fields.tm_hour), Int(fields.tm_min), Int(fields.tm_sec))
    }

    /// `value` in decimal, zero-padded to `width` digits.
    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `12.3 KiB`.
    static func humanBytes(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// An entry as a JSON object; sizes and times as exact integers.
    static func json(_ entry: VFSEntry) -> JSONValue {
        var object: [String: JSONValue] = [
            "path": .string(entry.path),
            "name": .string(entry.name),
            "kind": .string(entry.kind.rawValue),
            "mode": .string(octalMode(entry.mode)),
            "size": .int64(entry.size),
            "mtimeNs": .int64(entry.mtimeNanoseconds),
            "ctimeNs": .int64(entry.ctimeNanoseconds),
            "mtime": .string(timestamp(entry.mtimeNanoseconds)),
            "metadata": (try? JSONValue.parse(entry.metadataJSON)) ?? .object([:]),
        ]
        if let sha = entry.sha256 { object["sha256"] = .string(sha) }
        return .object(object)
    }

    static func json(_ info: NamespaceInfo) -> [String: Any] {
        [
            "name": info.name,
            "entries": info.entries,
            "bytes": info.bytes,
            "forkedFrom": info.forkedFrom as Any? ?? NSNull(),
            "createdAt": timestamp(info.createdAtNanoseconds),
            "quota": [
                "maxBytes": info.maxBytes as Any? ?? NSNull(),
                "maxEntries": info.maxEntries as Any? ?? NSNull(),
                "maxFileBytes": info.maxFileBytes as Any? ?? NSNull(),
            ],
        ]
    }

    static func json(_ report: GitIndexRefresh.Report) -> [String: Any] {
        ["index": report.index, "entries": report.entries, "refreshed": report.refreshed, "skipped": report.skipped as Any? ?? NSNull()]
    }

    static func json(_ report: HostTransferReport) -> [String: Any] {
        [
            "files": report.files,
            "directories": report.directories,
            "bytes": report.bytes,
            "skipped": report.skipped.map { ["path": $0.path, "reason": $0.reason] },
        ]
    }
}
