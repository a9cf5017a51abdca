import Foundation
import CSystemShims
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
        // Written digit by digit into the string's storage: one allocation, where interpolating
        // padded parts made a dozen (every transcript event carries a timestamp).
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            func put(_ value: Int32, width: Int, then separator: Unicode.Scalar) {
                var value = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[position + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                buffer[position + width] = UInt8(ascii: separator)
                position += width + 1
            }
            put(parts.tm_year + 1900, width: 4, then: "-")
            put(parts.tm_mon + 1, width: 2, then: "-")
            put(parts.tm_mday, width: 2, then: "T")
            put(parts.tm_hour, width: 2, then: ":")
            put(parts.tm_min, width: 2, then: ":")
            put(parts.tm_sec, width: 2, then: ".")
            put(Int32(milliseconds % 1000), width: 3, then: "Z")
            return position
        }
    }

    /// A new random (version 4) UUID in lowercase, from the system's random generator
    /// (`getrandom(2)`: Foundation's `UUID()` opens and reads `/dev/urandom` each time, and a run
    /// takes several ids).
    public static func uuid() -> String {
        // The 16 bytes in one `getrandom` call (`SystemRandomNumberGenerator` makes one per
        // 8 bytes); it does not fail for 16 bytes once the pool is initialized.
        var random: (UInt64, UInt64) = (0, 0)
        let filled = withUnsafeMutableBytes(of: &random) { openclaw_random_bytes($0.baseAddress, 16) }
        if filled != 16 {
            var generator = SystemRandomNumberGenerator()
            random = (generator.next(), generator.next())
        }
        // Bytes 0-7 and 8-15, big-endian: the version nibble is byte 6's high half, the variant
        // (binary 10) byte 8's two high bits.
        let high = random.0 & ~0xF000 | 0x4000
        let low = random.1 & ~(0xC0 << 56) | (0x80 << 56)
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
