/// The one conversion between nanoseconds since the Unix epoch (the unit of every `*_ns`
/// column) and the seconds and nanoseconds of a `timespec`.
///
/// Plain integers rather than an extension of `timespec`: where `CFuse3` is imported, its copy
/// of Glibc's `timespec` hides the members other modules add to it.
public enum EpochTime {
    /// `nanoseconds` as whole seconds, floored, and the nanoseconds past them, always in
    /// `0..<1_000_000_000`: a time before 1970 such as -1 ns is -1 s + 999,999,999 ns.
    ///
    /// ```swift
    /// let time = EpochTime.flooredSeconds(entry.mtimeNanoseconds)
    /// let spec = timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)
    /// ```
    public static func flooredSeconds(_ nanoseconds: Int64) -> (seconds: Int, nanoseconds: Int) {
        var (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        return (Int(seconds), Int(fraction))
    }

    /// The nanoseconds since the epoch of a `timespec`'s `seconds` and `nanoseconds`.
    public static func nanoseconds(seconds: Int, nanoseconds: Int) -> Int64 {
        Int64(seconds) * 1_000_000_000 + Int64(nanoseconds)
    }

    /// A duration in whole nanoseconds, saturating at `Int64.max` (a duration of centuries).
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }
}
