import GRDB
import Storage

/// `database.writer.writeWithoutTransaction`, as RuntimeBench.swift still spells it, now that
/// `StateDatabase.writer` is Storage's own: forwards to
/// ``StateDatabase/writeWithoutTransaction(_:)``. Remove once RuntimeBench.swift calls that.
extension StateDatabase {
    var writer: WriterConnection { WriterConnection(database: self) }
}

/// The writer connection of a ``StateDatabase``, for ``StateDatabase/writer``.
struct WriterConnection {
    let database: StateDatabase

    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) rethrows -> T {
        try database.writeWithoutTransaction(body)
    }
}
