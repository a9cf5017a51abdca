#if canImport(Glibc)
import Glibc
#endif

/// What this thread is inside of, per thread: the database accesses of ``StateDatabase``s (a
/// read, a write, or a lookup) it is running, innermost first, each marked with the database it
/// belongs to. A read of a database made from inside an access of that same database runs on
/// that access's connection and sees what it sees, as GRDB's reentrant reads do; a read of
/// another database is not affected by it. When the innermost access is on a lookup
/// connection, that connection's prepared statements serve a ``LookupQuery``. One thread-local
/// value: the innermost frame, which links to the ones outside it.
@usableFromInline
enum AccessMark {
    /// The innermost access of some database on this thread, as seen by a read of one database.
    enum Access {
        /// On a pool or writer connection of that database.
        case connection
        /// On this lookup connection of that database, which the access keeps alive (held
        /// unretained: a lookup inside it then costs no reference count).
        case lookup(Unmanaged<LookupConnection>)
    }

    /// One access, on the stack of the thread running it; `outer` is the access it is nested in.
    private struct Frame {
        let owner: ObjectIdentifier
        let lookup: Unmanaged<LookupConnection>?
        let outer: UnsafeRawPointer?
    }

    // Created once; each thread's value (its innermost frame) is touched by that thread alone.
    private static let frameKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static var innermost: Frame? {
        pthread_getspecific(frameKey).map { UnsafeRawPointer($0).assumingMemoryBound(to: Frame.self).pointee }
    }

    /// The lookup connection of this thread's innermost access, if that access is on one.
    @usableFromInline static var lookup: LookupConnection? {
        innermost?.lookup?.takeUnretainedValue()
    }

    /// The innermost access of the database `owner` identifies that this thread is running, or
    /// `nil` when it runs none (it may run accesses of other databases).
    static func innermost(of owner: ObjectIdentifier) -> Access? {
        var frame = innermost
        while let current = frame {
            if current.owner == owner { return current.lookup.map { .lookup($0) } ?? .connection }
            frame = current.outer.map { $0.assumingMemoryBound(to: Frame.self).pointee }
        }
        return nil
    }

    /// Runs `body` inside an access of the database `owner` identifies, on `connection` (`nil`:
    /// a pool or writer connection), which the caller keeps alive meanwhile.
    static func inside<T>(_ owner: ObjectIdentifier, lookup connection: LookupConnection? = nil, _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(frameKey)
        var frame = Frame(owner: owner, lookup: connection.map { Unmanaged.passUnretained($0) }, outer: outer.map { UnsafeRawPointer($0) })
        return try withUnsafeMutablePointer(to: &frame) { pointer in
            pthread_setspecific(frameKey, pointer)
            defer { pthread_setspecific(frameKey, outer) }
            return try body()
        }
    }
}
