/// Lines of text split on LF, with a CR before it removed: Swift treats CRLF as one `Character`,
/// so splitting a `String` on `"\n"` would leave CRLF files in one piece.
enum TextLines {
    /// The lines of `text`; a final line end does not make an empty last line.
    static func split(_ text: String) -> [Substring] {
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { slice -> Substring in
            let line = Substring(slice)
            return line.unicodeScalars.last == "\r" ? Substring(line.unicodeScalars.dropLast()) : line
        }
        if text.unicodeScalars.last == "\n" { lines.removeLast() }
        return lines
    }

    /// The 1-based line number of `index` in `text`.
    static func lineNumber(of index: String.Index, in text: String) -> Int {
        text.unicodeScalars[..<index].count { $0 == "\n" } + 1
    }
}
