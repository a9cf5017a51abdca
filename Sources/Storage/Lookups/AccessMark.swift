#if canImport(Glibc)
import Glibc
#endif

/// What this thread is inside of, per thread: the database accesses of ``StateDatabase``s (a
/// read, a write, or a lookup) it is running, innermost first, each marked with the database it
/// belongs to. A read of a database made from inside an access of that same database runs on
/// that access's connection and sees what it sees, as GRDB's reentrant reads do; a read of
/// another database is not affected by it. When the innermost access is on a lookup
/// connection, that connection's prepared statements serve a ``LookupQuery``.
@usableFromInline
enum AccessMark {
    /// The innermost access of some database on this thread, as seen by a read of one database.
    enum Access {
        /// On a pool or writer connection of that database.
        case connection
        /// On this lookup connection of that database.
        case lookup(LookupConnection)
    }

    /// One access, on the stack of the thread running it; `outer` is the access it is nested in.
    private struct Frame {
        let owner: ObjectIdentifier
        let lookup: Unmanaged<LookupConnection>?
        let outer: UnsafeRawPointer?
    }

    // Created once; each thread's values are touched by that thread alone.
    private static let frameKey = makeKey()
    private static let lookupKey = makeKey()

    private static func makeKey() -> pthread_key_t {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }

    /// The lookup connection of this thread's innermost access, if that access is on one.
    @usableFromInline static var lookup: LookupConnection? {
        guard let pointer = pthread_getspecific(lookupKey) else { return nil }
        return Unmanaged<LookupConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// The innermost access of the database `owner` identifies that this thread is running, or
    /// `nil` when it runs none (it may run accesses of other databases).
    static func innermost(of owner: ObjectIdentifier) -> Access? {
        var pointer = pthread_getspecific(frameKey).map { UnsafeRawPointer($0) }
        while let current = pointer {
            let frame = current.assumingMemoryBound(to: Frame.self).pointee
            if frame.owner == owner { return frame.lookup.map { .lookup($0.takeUnretainedValue()) } ?? .connection }
            pointer = frame.outer
        }
        return nil
    }

    /// Runs `body` inside an access of the database `owner` identifies, on `connection` (`nil`:
    /// a pool or writer connection), which the caller keeps alive meanwhile.
    static func inside<T>(_ owner: ObjectIdentifier, lookup connection: LookupConnection? = nil, _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(frameKey)
        let previousLookup = pthread_getspecific(lookupKey)
        let lookup = connection.map { Unmanaged.passUnretained($0) }
        let lookupPointer = lookup.map { UnsafeMutableRawPointer($0.toOpaque()) }
        var frame = Frame(owner: owner, lookup: lookup, outer: outer.map { UnsafeRawPointer($0) })
        return try withUnsafeMutablePointer(to: &frame) { pointer in
            pthread_setspecific(frameKey, pointer)
            if lookupPointer != previousLookup { pthread_setspecific(lookupKey, lookupPointer) }
            defer {
                pthread_setspecific(frameKey, outer)
                if lookupPointer != previousLookup { pthread_setspecific(lookupKey, previousLookup) }
            }
            return try body()
        }
    }
}
