#if canImport(Glibc)
import Glibc
#endif

/// What this thread is inside of, per thread: a database access of a ``StateDatabase`` (a
/// read, a write, or a lookup), so that a lookup made from there runs on that access's
/// connection and sees what it sees, as GRDB's reentrant reads do, instead of on a lookup
/// connection of its own; and, when the innermost access is on a lookup connection, that
/// connection, whose prepared statements a ``LookupQuery`` uses.
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

    /// Runs `body` with this thread marked as inside an access of a pool or writer connection:
    /// no lookup connection is this access's, even when the thread holds one further out.
    static func inside<T>(_ body: () throws -> T) rethrows -> T {
        try inside(lookup: nil, body)
    }

    /// Runs `body` inside an access on `connection` (`nil`: a pool or writer connection), which
    /// the caller keeps alive meanwhile.
    static func inside<T>(lookup connection: LookupConnection?, _ body: () throws -> T) rethrows -> T {
        let previousDepth = pthread_getspecific(depthKey)
        let previousLookup = pthread_getspecific(lookupKey)
        let lookup = connection.map { Unmanaged.passUnretained($0).toOpaque() }
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: Int(bitPattern: previousDepth) + 1))
        if lookup != previousLookup { pthread_setspecific(lookupKey, lookup) }
        defer {
            pthread_setspecific(depthKey, previousDepth)
            if lookup != previousLookup { pthread_setspecific(lookupKey, previousLookup) }
        }
        return try body()
    }
}
