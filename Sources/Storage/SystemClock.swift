#if canImport(Glibc)
import Glibc
#endif

/// The one source of the current time: wall-clock time since the Unix epoch, for what is
/// stored (every `*_ns` and `*_at_ms` column), and monotonic time, for durations and throttles.
public enum SystemClock {
    /// Wall-clock nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    public static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return EpochTime.nanoseconds(seconds: spec.tv_sec, nanoseconds: spec.tv_nsec)
    }

    /// Wall-clock milliseconds since the Unix epoch, floored: the same instant as
    /// ``nanoseconds()`` in the unit of the `*_at_ms` columns.
    public static func milliseconds() -> Int64 {
        let nanoseconds = nanoseconds()
        let (quotient, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Nanoseconds of `CLOCK_MONOTONIC`, from an arbitrary origin (the boot): it never goes back,
    /// so differences of two readings are elapsed times, whatever the wall clock does.
    public static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(EpochTime.nanoseconds(seconds: spec.tv_sec, nanoseconds: spec.tv_nsec))
    }
}
