/// The grammar of the ids openclaw names things by (agent ids, provider ids, skill slugs):
/// 1 to 64 bytes of `a-z`, `0-9`, `_` and `-`, starting with a letter or a digit
/// (`^[a-z0-9][a-z0-9_-]{0,63}$`).
public enum Identifier {
    /// The longest id, in bytes.
    public static let maximumLength = 64

    /// Whether `text` follows the grammar (case-sensitive: callers that accept capitals lowercase first).
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, bytes.count <= maximumLength, isLetterOrDigit(first) else { return false }
        return bytes.dropFirst().allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
