import Foundation

/// Renders the Foundation values the commands print (`[String: Any]`, `[Any]`, strings, Swift
/// numbers, Booleans, `NSNull`) as indented JSON with sorted keys and unescaped slashes.
///
/// It is the `--json` writer: JSONSerialization with sorted keys spends most of a large listing
/// in Foundation's bridging (1.2 s for 10k sessions); this walks the values directly.
enum JSONText {
    static func render(_ value: Any) -> String {
        var output = ""
        output.reserveCapacity(4096)
        write(value, into: &output, indent: 0)
        return output
    }

    private static func write(_ value: Any, into output: inout String, indent: Int) {
        let type = type(of: value)
        if type == String.self, let text = value as? String {
            writeString(text, into: &output)
        } else if type == Bool.self, let flag = value as? Bool {
            output += flag ? "true" : "false"
        } else if type == Int.self || type == Int64.self || type == Int32.self || type == UInt32.self || type == UInt64.self
                    || type == UInt.self || type == Int16.self || type == UInt16.self || type == Int8.self || type == UInt8.self {
            output += "\(value)"
        } else if type == Double.self, let number = value as? Double {
            output += number.isFinite ? (number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)") : "null"
        } else if value is NSNull {
            output += "null"
        } else if let object = value as? [String: Any] {
            guard !object.isEmpty else { output += "{}"; return }
            output += "{\n"
            let keys = object.keys.sorted()
            for (index, key) in keys.enumerated() {
                output += String(repeating: " ", count: indent + 2)
                writeString(key, into: &output)
                output += " : "
                write(object[key] ?? NSNull(), into: &output, indent: indent + 2)
                output += index == keys.count - 1 ? "\n" : ",\n"
            }
            output += String(repeating: " ", count: indent) + "}"
        } else if let array = value as? [Any] {
            guard !array.isEmpty else { output += "[]"; return }
            output += "[\n"
            for (index, element) in array.enumerated() {
                output += String(repeating: " ", count: indent + 2)
                write(element, into: &output, indent: indent + 2)
                output += index == array.count - 1 ? "\n" : ",\n"
            }
            output += String(repeating: " ", count: indent) + "]"
        } else if let number = value as? NSNumber,
                  let data = try? JSONSerialization.data(withJSONObject: number, options: [.fragmentsAllowed]) {
            // Numbers parsed by JSONSerialization (VFS metadata) keep their own rendering.
            output += String(decoding: data, as: UTF8.self)
        } else if Mirror(reflecting: value).displayStyle == .optional {
            // An Optional inside Any: its value, or null.
            if let wrapped = Mirror(reflecting: value).children.first?.value { write(wrapped, into: &output, indent: indent) } else { output += "null" }
        } else {
            writeString(String(describing: value), into: &output)
        }
    }

    private static func writeString(_ text: String, into output: inout String) {
        output += "\""
        // Append unescaped runs as substrings (String indices are shared by the views); mutating
        // `output.unicodeScalars` would copy the whole output each time.
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                output += text[start..<index]
                switch byte {
                case 0x22: output += "\\\""
                case 0x5C: output += "\\\\"
                case 0x0A: output += "\\n"
                case 0x0D: output += "\\r"
                case 0x09: output += "\\t"
                default: output += String(format: "\\u%04x", byte)
                }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        output += text[start..<index]
        output += "\""
    }
}
