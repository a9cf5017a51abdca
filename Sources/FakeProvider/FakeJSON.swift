import Foundation

/// A JSON value that serializes with its object keys in the order given, so bodies and
/// events come out exactly as the real providers lay them out.
indirect enum FakeJSON {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([FakeJSON])
    case object([(String, FakeJSON)])
    /// Already-serialized JSON text, embedded verbatim (must be valid JSON).
    case raw(String)

    /// `value` as a string, or `null` when nil.
    static func optionalString(_ value: String?) -> FakeJSON {
        value.map(FakeJSON.string) ?? .null
    }

    /// The compact serialization.
    var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null:
            out += "null"
        case .bool(let value):
            out += value ? "true" : "false"
        case .int(let value):
            out += String(value)
        case .string(let value):
            Self.writeString(value, into: &out)
        case .raw(let text):
            out += text
        case .array(let items):
            out += "["
            for (offset, item) in items.enumerated() {
                if offset > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (offset, member) in members.enumerated() {
                if offset > 0 { out += "," }
                Self.writeString(member.0, into: &out)
                out += ":"
                member.1.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
