import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Remembers, per thread, the connection a VFS operation is running on, so that callbacks can
/// call back into the same VFS without re-entering GRDB.
final class ActiveConnection: @unchecked Sendable {
    // @unchecked: the pthread key is created once and only read afterwards; each thread's value
    // is touched by that thread alone.
    final class Entry {
        unowned(unsafe) let database: Database
        let isWrite: Bool
        init(database: Database, isWrite: Bool) {
            self.database = database
            self.isWrite = isWrite
        }
    }

    private var key = pthread_key_t()

    init() {
        pthread_key_create(&key, nil)
    }

    deinit {
        pthread_key_delete(key)
    }

    /// The entry of the operation running on this thread, if any.
    var current: Entry? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<Entry>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Runs `body` with `database` registered as this thread's active connection.
    func with<T>(_ database: Database, isWrite: Bool, _ body: () throws -> T) throws -> T {
        let previous = pthread_getspecific(key)
        let entry = Entry(database: database, isWrite: isWrite)
        let retained = Unmanaged.passRetained(entry)
        pthread_setspecific(key, retained.toOpaque())
        defer {
            pthread_setspecific(key, previous)
            retained.release()
        }
        return try body()
    }
}
