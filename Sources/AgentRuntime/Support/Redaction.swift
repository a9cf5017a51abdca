import Foundation

/// Keeps secrets out of transcripts, logs and JSON output.
public enum Redaction {
    /// `****abcd` for secrets of 12 characters or more, `****` for shorter ones.
    public static func mask(_ secret: String) -> String {
        secret.count >= 12 ? "****" + secret.suffix(4) : "****"
    }

    /// Replaces every occurrence of the given secrets, and secret-shaped tokens (`sk-...`,
    /// `pk-...`, `rk-...`, and what follows `Bearer`), in `text`.
    public static func redact(_ text: String, secrets: [String] = []) -> String {
        var result = text
        for secret in secrets where secret.count >= 6 {
            result = result.replacingOccurrences(of: secret, with: mask(secret))
        }
        result = result.replacing(#/(?<lead>\b)(?:sk|pk|rk)-(?:ant-)?[A-Za-z0-9_\-]{16,}/#) { match in match.output.lead + "[redacted]" }
        result = result.replacing(#/(?<lead>(?i:bearer)\s+)[A-Za-z0-9._~+\/=\-]{12,}/#) { match in match.output.lead + "[redacted]" }
        return result
    }

    /// Every string in `value` redacted as ``redact(_:secrets:)`` does. Strings without a secret
    /// or a secret-shaped token are returned as they are, after a cheap check.
    public static func redact(_ value: JSONValue, secrets: [String]) -> JSONValue {
        switch value {
        case .string(let text):
            return mayHoldSecret(text, secrets: secrets) ? .string(redact(text, secrets: secrets)) : value
        case .array(let items):
            return .array(items.map { redact($0, secrets: secrets) })
        case .object(let members):
            return .object(members.mapValues { redact($0, secrets: secrets) })
        default:
            return value
        }
    }

    /// A fast test before the regular expressions: a known secret, or a prefix they look for.
    static func mayHoldSecret(_ text: String, secrets: [String]) -> Bool {
        if secrets.contains(where: { $0.count >= 6 && text.contains($0) }) { return true }
        let bytes = text.utf8
        guard bytes.count >= 12 else { return false }
        // A window of the last seven bytes, lowercased, checked at each byte: "sk-", "pk-", "rk-"
        // (the expressions' key prefixes) and "bearer" followed by any whitespace.
        var window: [UInt8] = [0, 0, 0, 0, 0, 0, 0]
        let bearer: [UInt8] = Array("bearer".utf8)
        for byte in bytes {
            window.removeFirst()
            window.append(byte | (byte >= 65 && byte <= 90 ? 0x20 : 0))
            if byte == UInt8(ascii: "-"), window[5] == UInt8(ascii: "k"), [UInt8(ascii: "s"), UInt8(ascii: "p"), UInt8(ascii: "r")].contains(window[4]) {
                return true
            }
            if [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(byte), window[0..<6].elementsEqual(bearer) {
                return true
            }
        }
        return false
    }

    /// Whether a header name carries a credential.
    public static func isSecretHeader(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "authorization" || lowered.contains("key") || lowered.contains("token") || lowered.contains("secret") || lowered.contains("cookie")
    }
}
