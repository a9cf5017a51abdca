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

    /// Whether `path` is `directory` plus one more component: `/a/b` is a child of `/a`,
    /// `/a/b/c` and `/ab` are not. Compares bytes and allocates nothing.
    static func isChild(_ path: String, of directory: String) -> Bool {
        let slash = UInt8(ascii: "/")
        let prefixCount = isRoot(directory) ? 0 : directory.utf8.count
        guard prefixCount == 0 || path.utf8.starts(with: directory.utf8) else { return false }
        let rest = path.utf8.dropFirst(prefixCount)
        return rest.count > 1 && rest.first == slash && !rest.dropFirst().contains(slash)
    }

    /// The first component of a path beneath the root and the rest (`/` when nothing is left):
    /// `("workspace", "/a/b")` for `/workspace/a/b`.
    static func splitFirst(_ path: String) -> (first: String, rest: String) {
        let bytes = path.utf8.dropFirst()
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return (String(bytes) ?? "", "/") }
        return (String(bytes[..<slash]) ?? "", String(path.utf8[slash...]) ?? "/")
    }
}
