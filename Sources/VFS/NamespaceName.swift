import Foundation
/// Validates namespace names.
///
/// A name is a kind of 1 to 32 characters `[a-z][a-z0-9_-]*`, optionally followed by `:` and an
/// id of 1 to 128 characters `[A-Za-z0-9][A-Za-z0-9._-]*`. The namespaces in use are
/// `workspace` (the agent's durable workspace), those its user declares built in (see
/// ``VirtualFileSystem/schema(builtInNamespaces:)``), `run:<runId>` (per-run scratch) and
/// `snapshot:<name>` (named forks).
public enum NamespaceName {
    /// The agent's durable workspace, the default namespace and the one built-in namespace
    /// of every VFS.
    public static let workspace = "workspace"

    /// Returns `name` if it is valid, or throws `EINVAL`.
    @discardableResult
    public static func validate(_ name: String, operation: String = "namespace") throws -> String {
        guard isValid(name) else {
            throw VFSError(EINVAL, operation, name, detail: "invalid namespace name; use a kind like 'workspace', optionally with ':id' ('run:123', 'snapshot:before-fix')")
        }
        return name
    }

    /// Whether `name` is a valid namespace name.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
        let kind = bytes[..<(colon ?? bytes.endIndex)]
        guard (1...32).contains(kind.count), let first = kind.first, isLower(first),
              kind.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return false }
        guard let colon else { return true }
        let id = bytes[(colon + 1)...]
        guard (1...128).contains(id.count), let idFirst = id.first, isAlnum(idFirst),
              id.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return false }
        return true
    }

    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
