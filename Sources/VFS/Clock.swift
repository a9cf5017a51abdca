import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in nanoseconds since the Unix epoch.
enum Clock {
    static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return EpochTime.nanoseconds(seconds: spec.tv_sec, nanoseconds: spec.tv_nsec)
    }
}
