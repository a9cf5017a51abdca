/// A path or name that compares, hashes and sorts by its UTF-8 bytes.
///
/// Swift's `String` equality, hashing, `hasPrefix` and `<` follow Unicode canonical
/// equivalence: `"caf\u{E9}" == "cafe\u{301}"` is `true`, so a `Dictionary` or `Set` keyed by
/// path strings merges two distinct VFS names. The VFS, like a POSIX filesystem, treats names
/// as bytes and never normalizes them; use `PathKey` wherever a path or name is a key.
///
/// ```swift
/// var inodes: [PathKey: UInt64] = [:]
/// inodes[PathKey("/caf\u{E9}")] = 2
/// inodes[PathKey("/cafe\u{301}")]  // nil
/// ```
public struct PathKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path or name.
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (lhs: PathKey, rhs: PathKey) -> Bool {
        bytesEqual(lhs.string, rhs.string)
    }

    public func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in string.utf8 { hasher.combine(byte) }
        }
        hasher.combine(string.utf8.count)
    }

    /// Byte order, the order of SQLite's BINARY collation (and of `ls` in the C locale).
    public static func < (lhs: PathKey, rhs: PathKey) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public var description: String { string }

    /// Whether two strings hold the same UTF-8 bytes (not merely canonically equivalent ones).
    ///
    /// Inlinable, so that a caller in another module gets it specialized for its string types
    /// (a node table compares paths this way on every lookup).
    @inlinable public static func bytesEqual(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        let fast = left.withContiguousStorageIfAvailable { a in
            right.withContiguousStorageIfAvailable { b in a.elementsEqual(b) }
        }
        return (fast ?? nil) ?? left.elementsEqual(right)
    }

    /// Whether `path` is `directory` or lies beneath it, comparing bytes: `/a/b` is beneath
    /// `/a` and `/`, `/ab` is not beneath `/a`.
    public static func isPath(_ path: String, atOrBeneath directory: String) -> Bool {
        if bytesEqual(directory, "/") { return path.utf8.first == UInt8(ascii: "/") }
        let candidate = path.utf8
        let prefix = directory.utf8
        guard candidate.starts(with: prefix) else { return false }
        let rest = candidate.dropFirst(prefix.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }
}
