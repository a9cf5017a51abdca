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

    /// Whether a header name carries a credential.
    public static func isSecretHeader(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "authorization" || lowered.contains("key") || lowered.contains("token") || lowered.contains("secret") || lowered.contains("cookie")
    }
}
