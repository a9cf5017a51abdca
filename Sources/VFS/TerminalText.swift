/// Names and paths made safe to show on a terminal.
///
/// A file name may carry bytes a terminal obeys: `ESC ] 0;title BEL` retitles the window,
/// `ESC [2J` clears it, and the C1 controls (U+0080–U+009F, among them the 8-bit CSI U+009B) do
/// the same on terminals that honour them. Warnings, errors and logs always show such names
/// quoted; listings on standard output do so when it is a terminal.
public enum TerminalText {
    /// Whether `text` holds a character a terminal may obey: a C0 control, DEL or a C1 control.
    public static func needsQuoting(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    /// `text` unchanged when it needs no quoting, else the whole text as a shell ANSI-C string,
    /// `$'...'`, as GNU `ls` shows such names: `\e`, `\a`, `\t`, `\n` and the other C escapes,
    /// `\xHH` for each UTF-8 byte of any other control, `\\` and `\'`. Pasted into a shell, it
    /// names the same file.
    public static func quoted(_ text: String) -> String {
        guard needsQuoting(text) else { return text }
        var result = "$'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\u{07}": result += "\\a"
            case "\u{08}": result += "\\b"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\u{0B}": result += "\\v"
            case "\u{0C}": result += "\\f"
            case "\r": result += "\\r"
            case "\u{1B}": result += "\\e"
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            default:
                if isControl(scalar) {
                    for byte in String(scalar).utf8 { result += "\\x" + hex(byte) }
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "'"
    }

    /// C0 controls, DEL and C1 controls.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func hex(_ byte: UInt8) -> String {
        CollectionOfOne(byte).lowercaseHex
    }
}
