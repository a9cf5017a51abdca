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

    /// Binds `arguments`, steps the statement while `body` returns `true`, then resets it (which
    /// ends its read snapshot in autocommit mode) and clears its bindings. Inlinable, as the calls
    /// above, so that callers get it specialized: a generic call across modules looks up type
    /// metadata at run time, which on a 5 µs lookup is measurable.
    @inlinable func stepRows(_ query: LookupQuery, _ arguments: [RawArgument], _ body: (RawRow) throws -> Bool) throws {
        // On a lookup connection, its own prepared statement; elsewhere GRDB's statement cache.
        let statement = try (AccessMark.lookup?.statement(query, on: self) ?? cachedStatement(sql: query.sql)).sqliteStatement
        sqlite3_reset(statement)
        try withBindings(statement, query.sql, arguments, from: 0) {
            // Inside every binding's scope: SQLite reads bound text in place until it is cleared.
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw error(code, query.sql) }
                guard try body(RawRow(statement)) else { return }
            }
        }
    }

    /// Binds `arguments[index...]` to the parameters from `index + 1` on and runs `body` while
    /// they are bound. Text is bound in place (`SQLITE_STATIC`), without SQLite's copy of it.
    @usableFromInline func withBindings(_ statement: OpaquePointer, _ sql: String, _ arguments: [RawArgument], from index: Int,
                                        _ body: () throws -> Void) throws {
        guard index < arguments.count else { return try body() }
        let parameter = Int32(index + 1)
        switch arguments[index] {
        case .integer(let value):
            let code = sqlite3_bind_int64(statement, parameter, value)
            guard code == SQLITE_OK else { throw error(code, sql) }
            try withBindings(statement, sql, arguments, from: index + 1, body)
        case .text(var text):
            try text.withUTF8 { bytes in
                // An empty buffer may have no address, which SQLite would bind as NULL: then a
                // static empty C string.
                let start = UnsafeRawPointer(bytes.baseAddress) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                let code = sqlite3_bind_text(statement, parameter, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
                guard code == SQLITE_OK else { throw error(code, sql) }
                try withBindings(statement, sql, arguments, from: index + 1, body)
            }
        }
    }

    @usableFromInline func error(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}
