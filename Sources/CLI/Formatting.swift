import AgentRuntime
import Foundation
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

    /// `2026-11-25 14:57` in local time.
    static func shortDate(_ nanoseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }

    /// RFC 3339 with nanoseconds, in UTC.
    static func timestamp(_ nanoseconds: Int64) -> String {
        // Floor division, so times before 1970 keep a positive fraction.
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let fraction = nanoseconds - seconds * 1_000_000_000
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let base = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
        let digits = String(fraction)
        return base + "." + String(repeating: "0", count: 9 - digits.count) + digits + "Z"
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

    /// An entry as a JSON object.
    static func json(_ entry: VFSEntry) -> [String: Any] {
        var object: [String: Any] = [
            "path": entry.path,
            "name": entry.name,
            "kind": entry.kind.rawValue,
            "mode": octalMode(entry.mode),
            "size": entry.size,
            "mtimeNs": entry.mtimeNanoseconds,
            "ctimeNs": entry.ctimeNanoseconds,
            "mtime": timestamp(entry.mtimeNanoseconds),
        ]
        if let sha = entry.sha256 { object["sha256"] = sha }
        object["metadata"] = (try? JSONValue.parse(entry.metadataJSON)) ?? JSONValue.object([:])
        return object
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

    static func json(_ report: HostTransferReport) -> [String: Any] {
        [
            "files": report.files,
            "directories": report.directories,
            "bytes": report.bytes,
            "skipped": report.skipped.map { ["path": $0.path, "reason": $0.reason] },
        ]
    }
}
