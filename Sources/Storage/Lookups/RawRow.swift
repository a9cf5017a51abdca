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

    /// Column `index` as an integer, or `nil` when NULL. One call to SQLite when it is not 0.
    @inlinable public func optionalInt64(_ index: Int32) -> Int64? {
        let value = sqlite3_column_int64(statement, index)
        return value != 0 || !isNull(index) ? value : nil
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

    /// Whether column `index` is the text `literal`, for a column whose text holds no NUL byte
    /// (as a `CHECK` constraint can promise: `kind IN (...)`, `json_valid(...)`): compared up to
    /// the terminator SQLite adds, with one call to SQLite instead of ``textEquals(_:_:)``'s two.
    @inlinable public func terminatedTextEquals(_ index: Int32, _ literal: StaticString) -> Bool {
        guard let bytes = sqlite3_column_text(statement, index) else { return false }
        // Byte by byte up to and including the literal's terminator, stopping at the first
        // difference: a shorter text differs at its own terminator, so nothing past it is read.
        // (Inline: `strcmp` costs more than these few bytes.)
        let expected = literal.utf8Start
        for offset in 0...literal.utf8CodeUnitCount where bytes[offset] != expected[offset] { return false }
        return true
    }

    /// Column `index` as bytes (a copy), or `nil` when NULL.
    @inlinable public func data(_ index: Int32) -> Data? {
        withBytes(index) { bytes in bytes.map { Data($0) } }
    }

    /// Calls `body` with the bytes of column `index` in place (`nil` when NULL), without a copy.
    @inlinable public func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        // sqlite3_column_blob before sqlite3_column_bytes, as SQLite documents. It returns NULL
        // for an empty blob too: only then is the type asked.
        let start = sqlite3_column_blob(statement, index)
        if start == nil, isNull(index) { return try body(nil) }
        let count = Int(sqlite3_column_bytes(statement, index))
        return try body(UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count))
    }
}

extension Database {
    /// Runs `query` with `arguments` through SQLite's C API and calls `body` with its first row;
    /// returns `nil` when there is none. Errors are GRDB's `DatabaseError`.
    @inlinable public func firstRow<T>(_ query: LookupQuery, _ arguments: RawArgument..., body: (RawRow) throws -> T) throws -> T? {
        var result: T?
        try RawStatement.step(statement(query), query, arguments) { row in
            result = try body(row)
            return false
        }
        return result
    }

    /// Runs `query` with `arguments` and calls `body` with each row, in order.
    @inlinable public func forEachRow(_ query: LookupQuery, _ arguments: RawArgument..., body: (RawRow) throws -> Void) throws {
        try RawStatement.step(statement(query), query, arguments) { row in
            try body(row)
            return true
        }
    }

    /// The prepared statement of `query`: on a lookup connection its own, elsewhere one from
    /// GRDB's statement cache.
    @inlinable func statement(_ query: LookupQuery) throws -> OpaquePointer {
        if let statement = try AccessMark.lookup?.statement(query, on: self) { return statement }
        return try cachedStatement(sql: query.sql).sqliteStatement
    }
}

/// Stepping a prepared statement through SQLite's C API. Inlinable, as the calls above, so that
/// callers get it specialized: a generic call across modules looks up type metadata at run
/// time, which on a 2 µs lookup is measurable.
@usableFromInline
enum RawStatement {
    /// Binds `arguments`, steps `statement` while `body` returns `true`, then resets it (which
    /// ends its read snapshot in autocommit mode) and clears its bindings.
    @inlinable static func step(_ statement: OpaquePointer, _ query: LookupQuery, _ arguments: [RawArgument], _ body: (RawRow) throws -> Bool) throws {
        sqlite3_reset(statement)
        try bind(statement, query, arguments, from: 0) { try steps(statement, query, body) }
    }

    /// ``step(_:_:_:_:)`` with two text arguments, bound in place without an enum value (whose
    /// payload a binding would copy, retaining its string, on every call).
    @inlinable static func step(_ statement: OpaquePointer, _ query: LookupQuery, text first: String, text second: String,
                                _ body: (RawRow) throws -> Bool) throws {
        sqlite3_reset(statement)
        try bind(statement, query, text: first, at: 1) {
            try bind(statement, query, text: second, at: 2) { try steps(statement, query, body) }
        }
    }

    /// Steps the bound statement, then resets it and clears its bindings; runs inside every
    /// binding's scope, since SQLite reads bound text in place until it is cleared.
    @inlinable static func steps(_ statement: OpaquePointer, _ query: LookupQuery, _ body: (RawRow) throws -> Bool) throws {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code, statement, query) }
            guard try body(RawRow(statement)) else { return }
        }
    }

    /// Binds `arguments[index...]` to the parameters from `index + 1` on and runs `body` while
    /// they are bound.
    @usableFromInline static func bind(_ statement: OpaquePointer, _ query: LookupQuery, _ arguments: [RawArgument], from index: Int,
                                       _ body: () throws -> Void) throws {
        guard index < arguments.count else { return try body() }
        try bind(statement, query, arguments[index], at: Int32(index + 1)) {
            try bind(statement, query, arguments, from: index + 1, body)
        }
    }

    /// Binds `argument` to `parameter` and runs `body` while it is bound. Text is bound in place
    /// (`SQLITE_STATIC`), without SQLite's copy of it. Inlinable, so that a caller's argument is
    /// never made as an enum value (a retained copy of its string) only to be taken apart here.
    @inlinable static func bind(_ statement: OpaquePointer, _ query: LookupQuery, _ argument: RawArgument, at parameter: Int32,
                                       _ body: () throws -> Void) throws {
        switch argument {
        case .integer(let value):
            let code = sqlite3_bind_int64(statement, parameter, value)
            guard code == SQLITE_OK else { throw error(code, statement, query) }
            try body()
        case .text(let text):
            try bind(statement, query, text: text, at: parameter, body)
        }
    }

    /// Binds `text` to `parameter`, in place, and runs `body` while it is bound.
    @inlinable static func bind(_ statement: OpaquePointer, _ query: LookupQuery, text: String, at parameter: Int32,
                                _ body: () throws -> Void) throws {
        let bound: Void? = try text.utf8.withContiguousStorageIfAvailable { bytes in
            try bind(statement, query, UnsafeRawBufferPointer(bytes), at: parameter, body)
        }
        if bound == nil {
            var copy = text
            try copy.withUTF8 { bytes in try bind(statement, query, UnsafeRawBufferPointer(bytes), at: parameter, body) }
        }
    }

    @usableFromInline static func bind(_ statement: OpaquePointer, _ query: LookupQuery, _ bytes: UnsafeRawBufferPointer, at parameter: Int32,
                             _ body: () throws -> Void) throws {
        // An empty buffer may have no address, which SQLite would bind as NULL: then a static
        // empty C string.
        let start = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
        let code = sqlite3_bind_text(statement, parameter, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        guard code == SQLITE_OK else { throw error(code, statement, query) }
        try body()
    }

    @usableFromInline static func error(_ code: Int32, _ statement: OpaquePointer, _ query: LookupQuery) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))), sql: query.sql)
    }
}
