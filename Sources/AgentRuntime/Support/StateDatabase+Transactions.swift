import GRDB
import Storage

extension StateDatabase {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the writer, mapping failures to
    /// ``AgentRuntimeError``.
    func immediate<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw AgentRuntimeError(.storage, "transaction produced no result") }
                return result
            }
        } catch {
            throw AgentRuntimeError.wrap(error)
        }
    }

    /// Runs `body` in one read transaction, mapping failures to ``AgentRuntimeError``.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch {
            throw AgentRuntimeError.wrap(error)
        }
    }
}
