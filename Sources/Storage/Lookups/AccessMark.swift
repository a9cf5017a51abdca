#if canImport(Glibc)
import Glibc
#endif

/// What this thread is inside of, per thread: a database access of a ``StateDatabase`` (a
/// read, a write, or a lookup), so that a lookup made from there runs on that access's
/// connection and sees what it sees, as GRDB's reentrant reads do, instead of on a lookup
/// connection of its own; and the lookup connection it holds, whose prepared statements a
/// ``LookupQuery`` uses.
@usableFromInline
enum AccessMark {
    // Created once; each thread's values are touched by that thread alone.
    private static let depthKey = makeKey()
    private static let lookupKey = makeKey()

    private static func makeKey() -> pthread_key_t {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }

    static var isInside: Bool { pthread_getspecific(depthKey) != nil }

    /// The lookup connection this thread holds, if any.
    @usableFromInline static var lookup: LookupConnection? {
        guard let pointer = pthread_getspecific(lookupKey) else { return nil }
        return Unmanaged<LookupConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Runs `body` with this thread marked as inside an access.
    static func inside<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(depthKey)
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: Int(bitPattern: previous) + 1))
        defer { pthread_setspecific(depthKey, previous) }
        return try body()
    }

    /// Runs `body` inside an access on `connection`, which the caller keeps alive meanwhile.
    static func inside<T>(lookup connection: LookupConnection, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(lookupKey)
        pthread_setspecific(lookupKey, Unmanaged.passUnretained(connection).toOpaque())
        defer { pthread_setspecific(lookupKey, previous) }
        return try inside(body)
    }
}
