/// Whitespace tests for the run's hot path, without Foundation's `CharacterSet` (whose trimming
/// and searching cost microseconds per call on Linux).
extension StringProtocol {
    /// The text without leading and trailing whitespace (newlines included), as
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives it; the text itself when it has none.
    var trimmedOfWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    /// Whether the text is empty or only whitespace.
    var isBlank: Bool {
        allSatisfy(\.isWhitespace)
    }
}

extension String {
    /// Whether `needle` occurs in the text, compared byte for byte in UTF-8 (`contains` from
    /// Foundation goes through `CFStringFind`). An empty needle occurs everywhere.
    func containsBytes(of needle: String) -> Bool {
        var text = self
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { needle in
                guard let first = needle.first else { return true }
                guard needle.count <= haystack.count else { return false }
                var start = 0
                let lastStart = haystack.count - needle.count
                while start <= lastStart {
                    if haystack[start] == first, haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
                    start += 1
                }
                return false
            }
        }
    }
}
