import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock milliseconds since 1970 (the unit of every `*_at_ms` column), the timestamps and the
/// ids of transcript events: the runtime's names for Storage's ``SystemClock``.
public enum RuntimeClock {
    /// Milliseconds since 1970 (``SystemClock/milliseconds()``).
    public static func milliseconds() -> Int64 { SystemClock.milliseconds() }

    /// ISO 8601 in UTC with milliseconds (`2026-11-25T17:04:24.123Z`), as transcript events carry it.
    public static func iso8601(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let millis = Int32(milliseconds % 1000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }

    /// A new lowercase UUID.
    public static func uuid() -> String { UUID().uuidString.lowercased() }
}
