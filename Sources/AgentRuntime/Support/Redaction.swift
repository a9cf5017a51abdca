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
        if secrets.contains(where: { $0.utf8.count >= 6 && text.containsBytes(of: $0) }) { return true }
        guard text.utf8.count >= 12 else { return false }
        // The last six bytes, lowercased, packed in an integer: "sk-", "pk-", "rk-" (the
        // expressions' key prefixes) and "bearer" followed by any whitespace, without allocating.
        let bearer: UInt64 = 0x62_65_61_72_65_72  // "bearer"
        var recent: UInt64 = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                let k = recent & 0xFF
                let first = (recent >> 8) & 0xFF
                if k == UInt64(UInt8(ascii: "k")), first == UInt64(UInt8(ascii: "s")) || first == UInt64(UInt8(ascii: "p")) || first == UInt64(UInt8(ascii: "r")) {
                    return true
                }
            case 0x09...0x0D, 0x20:
                if recent & 0xFFFF_FFFF_FFFF == bearer { return true }
            default:
                break
            }
            let lowered = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            recent = (recent << 8) | UInt64(lowered)
        }
        return false
    }

    /// Whether a header name carries a credential.
    public static func isSecretHeader(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "authorization" || lowered.contains("key") || lowered.contains("token") || lowered.contains("secret") || lowered.contains("cookie")
    }
}
