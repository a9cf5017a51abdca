import Foundation
import GRDB
import GRDBSQLite

/// An argument of a lookup run through SQLite's C API (``Database/firstRow(_:_:body:)``).
public enum RawArgument: Sendable {
    case text(String)
    case integer(Int64)
}

/// The current row of a statement stepped through SQLite's C API, read in place.
///
/// GRDB's `Row` copies every value and decodes through generic conversions; on the hottest
/// lookups (a `stat`, a small file's read) that costs as much as the statement. A `RawRow` reads
/// one column at a time straight from the statement. It is valid only inside the closure it is
/// given to; `Data` and `String` results are copies that outlive it.
public struct RawRow {
    @usableFromInline let statement: OpaquePointer

    @inlinable init(_ statement: OpaquePointer) {
        self.statement = statement
    }

    /// Whether column `index` is NULL.
    @inlinable public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(statement, index) == SQLITE_NULL
    }

    /// Column `index` as an integer (0 when NULL).
    @inlinable public func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(statement, index)
    }

    /// Column `index` as an integer, or `nil` when NULL.
    @inlinable public func optionalInt64(_ index: Int32) -> Int64? {
        isNull(index) ? nil : sqlite3_column_int64(statement, index)
    }

    /// Column `index` as UTF-8 text (empty when NULL).
    @inlinable public func text(_ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `index` as text, or `nil` when NULL.
    @inlinable public func optionalText(_ index: Int32) -> String? {
        isNull(index) ? nil : text(index)
    }

    /// Whether column `index` is the text `literal`, compared as bytes without making a string.
    @inlinable public func textEquals(_ index: Int32, _ literal: StaticString) -> Bool {
        guard let bytes = sqlite3_column_text(statement, index) else { return false }
        let count = Int(sqlite3_column_bytes(statement, index))
        return count == literal.utf8CodeUnitCount && memcmp(bytes, literal.utf8Start, count) == 0
    }

    /// Column `index` as bytes (a copy), or `nil` when NULL.
    @inlinable public func data(_ index: Int32) -> Data? {
        withBytes(index) { bytes in bytes.map { Data($0) } }
    }

    /// Calls `body` with the bytes of column `index` in place (`nil` when NULL), without a copy.
    @inlinable public func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        if isNull(index) { return try body(nil) }
        // sqlite3_column_blob before sqlite3_column_bytes, as SQLite documents.
        let start = sqlite3_column_blob(statement, index)
        let count = Int(sqlite3_column_bytes(statement, index))
        return try body(UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count))
    }
}

extension Database {
    /// Runs `query` with `arguments` through SQLite's C API and calls `body` with its first row;
    /// returns `nil` when there is none. Errors are GRDB's `DatabaseError`.
    @inlinable public func firstRow<T>(_ query: LookupQuery, _ arguments: RawArgument..., body: (RawRow) throws -> T) throws -> T? {
        var result: T?
        try stepRows(query, arguments) { row in
            result = try body(row)
            return false
        }
        return result
    }

    /// Runs `query` with `arguments` and calls `body` with each row, in order.
    @inlinable public func forEachRow(_ query: LookupQuery, _ arguments: RawArgument..., body: (RawRow) throws -> Void) throws {
        try stepRows(query, arguments) { row in
            try body(row)
            return true
        }
    }

    /// Steps the statement while `body` returns `true`, then resets it (which ends its read
    /// snapshot in autocommit mode) and clears its bindings. Inlinable, as the calls above, so
    /// that callers get it specialized: a generic call across modules looks up type metadata at
    /// run time, which on a 5 µs lookup is measurable.
    @inlinable func stepRows(_ query: LookupQuery, _ arguments: [RawArgument], _ body: (RawRow) throws -> Bool) throws {
        // On a lookup connection, its own prepared statement; elsewhere GRDB's statement cache.
        let statement = try (AccessMark.lookup?.statement(query, on: self) ?? cachedStatement(sql: query.sql)).sqliteStatement
        let sql = query.sql
        sqlite3_reset(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch argument {
            case .text(let text):
                code = bindText(statement, index, text)
            case .integer(let value):
                code = sqlite3_bind_int64(statement, index, value)
            }
            guard code == SQLITE_OK else { throw error(code, sql) }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code, sql) }
            guard try body(RawRow(statement)) else { return }
        }
    }

    /// Binds `text` (copied by SQLite: SQLITE_TRANSIENT), from a native string's bytes in place.
    @usableFromInline func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        let bound = text.utf8.withContiguousStorageIfAvailable { bytes -> Int32? in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), sqliteTransient)
            }
        }
        if let bound, let code = bound { return code }
        return text.withCString { sqlite3_bind_text(statement, index, $0, -1, sqliteTransient) }
    }

    @usableFromInline func error(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

/// SQLite's `SQLITE_TRANSIENT` (a macro Swift does not import): SQLite copies the bound bytes.
@usableFromInline let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
