import GRDB
import Storage

/// Storage's read and write, with failures mapped to ``AgentRuntimeError``.
extension StateDatabase {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the writer.
    func immediate<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try write(body) } catch { throw AgentRuntimeError.wrap(error) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, suspending the caller meanwhile.
    /// On the storage lane (a run's task) it runs in place, synchronously.
    func immediate<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if BlockingWork.isOnStorageLane { return try immediate(body as (Database) throws -> T) }
        do { return try await write(body) } catch { throw AgentRuntimeError.wrap(error) }
    }

    /// Runs `body` in one read transaction.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try read(body) } catch { throw AgentRuntimeError.wrap(error) }
    }

    /// Runs `body`, which must read with one statement, outside a transaction (one statement
    /// is atomic): ``StateDatabase/readWithoutTransaction(_:)``.
    func readingOnce<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try readWithoutTransaction(body) } catch { throw AgentRuntimeError.wrap(error) }
    }

    /// Runs `body` in one read transaction, suspending the caller meanwhile.
    /// On the storage lane (a run's task) it runs in place, synchronously.
    func reading<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if BlockingWork.isOnStorageLane { return try reading(body as (Database) throws -> T) }
        do { return try await read(body) } catch { throw AgentRuntimeError.wrap(error) }
    }
}
