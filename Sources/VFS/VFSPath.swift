import Foundation
/// A canonical VFS path: absolute, `/`-separated, with no `.`, `..`, empty or trailing
/// components.
///
/// Normalization is lexical and cannot leave the namespace: `..` at the root stays at the root,
/// as POSIX `/..` does. Whitespace is significant and no Unicode normalization is applied.
/// Paths are bytes: two paths are equal, hash alike and sort by their UTF-8 bytes, never by
/// Unicode canonical equivalence (`/caf\u{E9}` and `/cafe\u{301}` are two paths).
/// Rejected inputs raise a ``VFSError`` with a precise errno:
/// - `EINVAL`: a NUL or other control character (C0, DEL or C1, U+0080-U+009F);
/// - `EILSEQ`: bytes that are not valid UTF-8 (see ``init(bytes:operation:)``);
/// - `ENAMETOOLONG`: a component over 255 bytes, or a path over 4096 bytes.
public struct VFSPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest component, in UTF-8 bytes.
    public static let maxComponentBytes = 255
    /// The longest path, in UTF-8 bytes.
    public static let maxPathBytes = 4096
    /// The root of a namespace.
    public static let root = VFSPath(canonical: "/")

    /// The canonical text, for example `/a/b`.
    public let string: String

    private init(canonical: String) { string = canonical }

    /// Normalizes `raw`.
    /// - parameter operation: the operation named in a thrown error.
    public init(_ raw: String, operation: String = "resolve") throws {
        string = Self.isCanonical(raw) ? raw : try Self.normalize(Array(raw.utf8), raw: raw, operation: operation)
    }

    /// Whether `raw` is already canonical, checked in one pass without allocating: the common
    /// case of paths that come back from listings. A row of `vfs_entries` edited by hand may
    /// hold a path that is not.
    public static func isCanonical(_ raw: String) -> Bool {
        // A native string's bytes in place: iterating the UTF-8 view costs several times more.
        if let result = raw.utf8.withContiguousStorageIfAvailable({ isCanonical(bytes: $0) }) { return result }
        return Array(raw.utf8).withUnsafeBufferPointer { isCanonical(bytes: $0) }
    }

    private static func isCanonical(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        let count = bytes.count
        guard count > 0, count <= maxPathBytes, bytes[0] == slash else { return false }
        if count == 1 { return true }  // "/"
        var componentStart = 1
        var index = 1
        while index < count {
            let byte = bytes[index]
            index += 1
            // Letters, digits and most punctuation: nothing to check. `.` and `/` are below 0x30.
            if byte >= 0x30 && byte < 0x7F { continue }
            switch byte {
            case slash:
                guard isProperComponent(bytes, from: componentStart, to: index - 1) else { return false }
                componentStart = index
            case ..<0x20, 0x7F:
                return false
            case 0xC2:
                // U+0080-U+009F (C1 controls) are C2 80 ... C2 9F in UTF-8.
                if index < count, (0x80...0x9F).contains(bytes[index]) { return false }
            default:
                break
            }
        }
        return isProperComponent(bytes, from: componentStart, to: count)
    }

    /// Whether `bytes[start..<end]` is a component of a canonical path: not empty, not `.` or
    /// `..`, and no longer than ``maxComponentBytes``.
    private static func isProperComponent(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        let length = end - start
        guard length > 0, length <= maxComponentBytes else { return false }
        let dot = UInt8(ascii: ".")
        return length > 2 || bytes[start] != dot || (length == 2 && bytes[start + 1] != dot)
    }

    /// Normalizes raw bytes, rejecting invalid UTF-8 with `EILSEQ`.
    public init(bytes: [UInt8], operation: String = "resolve") throws {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VFSError(EILSEQ, operation, String(decoding: bytes, as: UTF8.self))
        }
        string = try Self.normalize(bytes, raw: text, operation: operation)
    }

    private static func normalize(_ bytes: [UInt8], raw: String, operation: String) throws -> String {
        if containsControl(bytes) {
            throw VFSError(EINVAL, operation, raw.debugDescription, detail: "paths must not contain NUL or control characters")
        }
        if bytes.count > maxPathBytes {
            throw VFSError(ENAMETOOLONG, operation, String(raw.prefix(64)) + "...", detail: "path is longer than \(maxPathBytes) bytes")
        }
        var components: [ArraySlice<UInt8>] = []
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if component.count > maxComponentBytes {
                throw VFSError(ENAMETOOLONG, operation, raw, detail: "a component is longer than \(maxComponentBytes) bytes")
            }
            if component.count == 1, component.first == UInt8(ascii: ".") { continue }
            if component.count == 2, component.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                _ = components.popLast()
                continue
            }
            components.append(component)
        }
        if components.isEmpty { return "/" }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 1)
        for component in components {
            result.append(UInt8(ascii: "/"))
            result.append(contentsOf: component)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Whether `bytes` hold a control character: C0 (below 0x20), DEL (0x7F), or a C1 control
    /// (U+0080-U+009F, encoded as C2 80 to C2 9F).
    private static func containsControl(_ bytes: [UInt8]) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F || previous == 0xC2 && (0x80...0x9F).contains(byte) { return true }
            previous = byte
        }
        return false
    }

    /// Whether this is the namespace root.
    public var isRoot: Bool { string.utf8.count == 1 }

    /// The index of the last `/` in the UTF-8 view. Never a `Character` search: a `/` followed
    /// by a combining mark is one `Character` that is not `"/"`.
    private var lastSlash: String.Index? { string.utf8.lastIndex(of: UInt8(ascii: "/")) }

    /// The last component; empty for the root.
    public var name: String {
        guard let slash = lastSlash else { return string }
        return String(string.utf8[string.utf8.index(after: slash)...]) ?? ""
    }

    /// The parent directory; the root is its own parent.
    public var parent: VFSPath {
        guard let slash = lastSlash, slash != string.startIndex else { return .root }
        return VFSPath(canonical: String(string.utf8[..<slash]) ?? "/")
    }

    /// The path of `name` inside this directory. `name` must be a single valid component.
    public func appending(_ name: String) throws -> VFSPath {
        try VFSPath(isRoot ? "/" + name : string + "/" + name)
    }

    /// Whether `other` is this path or lies beneath it.
    public func contains(_ other: VFSPath) -> Bool {
        PathKey.isPath(other.string, atOrBeneath: string)
    }

    /// The ancestors from the root's child down to the parent, for example `/a`, `/a/b` for `/a/b/c`.
    var ancestors: [VFSPath] {
        var result: [VFSPath] = []
        var current = parent
        while !current.isRoot {
            result.append(current)
            current = current.parent
        }
        return result.reversed()
    }

    /// The half-open range `[lower, upper)` of every path strictly beneath this one in SQLite's
    /// BINARY collation. `0` is the byte right after `/`, so `[/a/, /a0)` holds exactly the
    /// descendants of `/a`.
    var descendantRange: (lower: String, upper: String) {
        isRoot ? ("/", "0") : (string + "/", string + "0")
    }

    public static func == (lhs: VFSPath, rhs: VFSPath) -> Bool {
        PathKey.bytesEqual(lhs.string, rhs.string)
    }

    public func hash(into hasher: inout Hasher) {
        PathKey(string).hash(into: &hasher)
    }

    public static func < (lhs: VFSPath, rhs: VFSPath) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public var description: String { string }
}
