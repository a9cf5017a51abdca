import Foundation
import VFS

/// Splits and joins mount paths (`/`, `/a/b`; in the all-namespaces view `/workspace/a`) on
/// their UTF-8 bytes. Never by `Character` or `NSString`: a `/` followed by a combining mark is
/// one `Character`, and names are bytes, never normalized.
enum MountPath {
    static func isRoot(_ path: String) -> Bool { PathKey.bytesEqual(path, "/") }

    /// The path of `name` inside the directory `parent`.
    static func child(_ parent: String, _ name: String) -> String {
        isRoot(parent) ? "/" + name : parent + "/" + name
    }

    /// The directory that holds `path`; the root is its own parent.
    static func parent(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.startIndex else { return "/" }
        return String(path.utf8[..<slash]) ?? "/"
    }

    /// The last component of `path`; empty for the root.
    static func name(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path.utf8[path.utf8.index(after: slash)...]) ?? ""
    }

    /// The name of `path` when it is `directory` plus one more component (`b` for `/a/b` in
    /// `/a`; `nil` for `/a/b/c` and `/ab`): the check and the name in one pass over the bytes,
    /// in place.
    static func childName(_ path: String, of directory: String) -> String? {
        let prefixCount = isRoot(directory) ? 0 : directory.utf8.count
        // `withUTF8` reads a native string's bytes in place (and makes any other contiguous).
        var path = path
        var directory = directory
        return path.withUTF8 { path in
            directory.withUTF8 { directory in
                let bytes = UnsafeRawBufferPointer(path)
                guard let range = childNameRange(bytes, prefix: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(directory)[..<prefixCount])) else {
                    return nil
                }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
        }
    }

    /// The byte range of the name when `path` is `prefix`, a `/`, and a non-empty name without a `/`.
    private static func childNameRange(_ path: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer) -> Range<Int>? {
        let slash = UInt8(ascii: "/")
        let start = prefix.count + 1
        guard path.count > start, path[prefix.count] == slash else { return nil }
        if !prefix.isEmpty, let base = path.baseAddress, let prefixBase = prefix.baseAddress, memcmp(base, prefixBase, prefix.count) != 0 {
            return nil
        }
        guard let base = path.baseAddress, memchr(base + start, Int32(slash), path.count - start) == nil else { return nil }
        return start..<path.count
    }

    /// The first component of a path beneath the root and the rest (`/` when nothing is left):
    /// `("workspace", "/a/b")` for `/workspace/a/b`.
    static func splitFirst(_ path: String) -> (first: String, rest: String) {
        let bytes = path.utf8.dropFirst()
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return (String(bytes) ?? "", "/") }
        return (String(bytes[..<slash]) ?? "", String(path.utf8[slash...]) ?? "/")
    }
}
