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

    /// A new random (version 4) UUID in lowercase, from the system's random generator
    /// (`getrandom(2)`: Foundation's `UUID()` opens and reads `/dev/urandom` each time, and a run
    /// takes several ids).
    public static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        // Bytes 0-7 and 8-15, big-endian: the version nibble is byte 6's high half, the variant
        // (binary 10) byte 8's two high bits.
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000
        let low = (generator.next() as UInt64) & ~(0xC0 << 56) | (0x80 << 56)
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            digits.withUTF8Buffer { digits in
                var position = 0
                for index in 0..<32 {
                    if index == 8 || index == 12 || index == 16 || index == 20 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    let word = index < 16 ? high : low
                    let shift = UInt64(60 - 4 * (index % 16))
                    buffer[position] = digits[Int((word >> shift) & 0xF)]
                    position += 1
                }
            }
            return 36
        }
    }
}
