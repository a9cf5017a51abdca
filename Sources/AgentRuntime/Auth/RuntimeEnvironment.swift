import Foundation

/// The environment credentials come from: the process environment over `<state root>/.env`.
public struct RuntimeEnvironment: Sendable {
    /// The merged variables.
    public var variables: [String: String]

    /// Creates an environment from explicit variables (tests).
    public init(variables: [String: String]) {
        self.variables = variables
    }

    /// The process environment, plus the variables of `<stateRoot>/.env` that it does not set.
    public static func load(stateRoot: String, process: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeEnvironment {
        var variables = parseDotEnv(path: stateRoot + "/.env")
        for (name, value) in process { variables[name] = value }
        return RuntimeEnvironment(variables: variables)
    }

    /// Parses `NAME=value` lines (`export ` prefix, `#` comments, single or double quotes).
    /// A missing file is empty.
    static func parseDotEnv(path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'",
               let close = value.dropFirst().firstIndex(of: quote) {
                value = String(value[value.index(after: value.startIndex)..<close])
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            result[name] = value
        }
        return result
    }

    /// The environment-variable prefix of a provider: uppercase, other characters as `_`;
    /// Google's is `GEMINI`.
    public static func prefix(of provider: String) -> String {
        if provider == "google" { return "GEMINI" }
        return String(provider.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// The keys for `provider`, in the documented priority order, deduplicated:
    /// `OPENCLAW_LIVE_<P>_KEY` alone when set (a forced override), else `<P>_API_KEYS` (split on
    /// whitespace, comma or semicolon), `<P>_API_KEY`, every `<P>_API_KEY_*` (by name), and for
    /// Google `GOOGLE_API_KEY`.
    public func apiKeys(provider: String) -> (keys: [(variable: String, value: String)], forced: Bool) {
        let prefix = Self.prefix(of: provider)
        if let forced = variables["OPENCLAW_LIVE_\(prefix)_KEY"]?.trimmedOfWhitespace, !forced.isEmpty {
            return ([("OPENCLAW_LIVE_\(prefix)_KEY", forced)], true)
        }
        var ordered: [(String, String)] = []
        if let list = variables["\(prefix)_API_KEYS"] {
            for key in list.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" }) {
                ordered.append(("\(prefix)_API_KEYS", String(key)))
            }
        }
        if let single = variables["\(prefix)_API_KEY"] { ordered.append(("\(prefix)_API_KEY", single)) }
        for name in variables.keys.filter({ $0.hasPrefix("\(prefix)_API_KEY_") }).sorted() {
            ordered.append((name, variables[name] ?? ""))
        }
        if provider == "google", let google = variables["GOOGLE_API_KEY"] { ordered.append(("GOOGLE_API_KEY", google)) }
        var seen: Set<String> = []
        var result: [(variable: String, value: String)] = []
        for (name, value) in ordered {
            let trimmed = value.trimmedOfWhitespace
            guard !trimmed.isEmpty, seen.insert(trimmed).inserted else { continue }
            result.append((name, trimmed))
        }
        return (result, false)
    }
}
