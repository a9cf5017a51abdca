import Foundation

// A direct JSON reader and writer for `JSONValue`. Foundation's JSONDecoder and JSONEncoder go
// through Codable containers and spent most of a turn's own time (transcript history, streamed
// events, request bodies); this works on the UTF-8 bytes in one pass.

extension JSONValue {
    /// Parses a JSON document (any top-level value; RFC 8259, nesting at most 512 levels).
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var reader = JSONReader(bytes: raw.bindMemory(to: UInt8.self))
            return try reader.document()
        }
    }

    /// Parses a JSON document from text.
    public static func parse(_ text: String) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { bytes in
            var reader = JSONReader(bytes: bytes)
            return try reader.document()
        }
    }

    /// The compact encoding, keys sorted (stable across runs), slashes not escaped.
    public func encoded() -> Data {
        var output = JSONWriter.Output()
        JSONWriter.write(self, into: &output, indent: nil)
        return Data(output.bytes)
    }

    /// The compact encoding as text.
    public var jsonText: String {
        var output = JSONWriter.Output()
        JSONWriter.write(self, into: &output, indent: nil)
        return output.text
    }

    /// The compact encoding with each object's keys in the order it stores them (not sorted):
    /// for frames sent to a program, where the order means nothing and sorting the keys of every
    /// event would cost more than writing them.
    public var wireText: String {
        var output = JSONWriter.Output()
        JSONWriter.write(self, into: &output, indent: nil, sortKeys: false)
        return output.text
    }

    /// The encoding indented by two spaces per level (`"key" : value`), keys sorted, for people.
    public var prettyText: String {
        var output = JSONWriter.Output(capacity: 4096)
        JSONWriter.write(self, into: &output, indent: 0)
        return output.text
    }

    /// ``prettyText`` as it reads nested `level` spaces deep in an enclosing document: every
    /// line after the first is indented by `level` more spaces. Writing a long array element by
    /// element with it gives the same text as ``prettyText`` of the whole array.
    public func prettyText(nestedAt level: Int) -> String {
        var output = JSONWriter.Output()
        JSONWriter.write(self, into: &output, indent: level)
        return output.text
    }

    /// Converts Foundation values (`[String: Any]`, `[Any]`, `String`, Swift integers and floating
    /// point numbers, `Bool`, `NSNumber`, `NSNull`, optionals, and `JSONValue`s themselves, which
    /// are taken as they are) to a JSON value. Anything else becomes its description, as a string.
    public init(foundationObject value: Any) {
        let type = type(of: value)
        if let json = value as? JSONValue {
            self = json
        } else if type == String.self, let text = value as? String {
            self = .string(text)
        } else if type == Bool.self, let flag = value as? Bool {
            self = .bool(flag)
        } else if let integer = value as? any BinaryInteger, type != Bool.self {
            self = Int64(exactly: integer).map(JSONValue.integer) ?? .number(Double(integer))
        } else if type == Double.self || type == Float.self, let number = value as? any BinaryFloatingPoint {
            self = .number(Double(number))
        } else if value is NSNull {
            self = .null
        } else if let object = value as? [String: Any] {
            self = .object(object.mapValues { JSONValue(foundationObject: $0) })
        } else if let array = value as? [Any] {
            self = .array(array.map { JSONValue(foundationObject: $0) })
        } else if let number = value as? NSNumber {
            self = JSONValue(number)
        } else if Mirror(reflecting: value).displayStyle == .optional {
            self = Mirror(reflecting: value).children.first.map { JSONValue(foundationObject: $0.value) } ?? .null
        } else {
            self = .string(String(describing: value))
        }
    }
}

extension JSONValue {
    /// An `NSNumber` by its stored type: JSONSerialization's Booleans are NSNumbers of type
    /// "c" holding 0 or 1, its integers signed or unsigned integer types, the rest floating point.
    private init(_ number: NSNumber) {
        switch String(cString: number.objCType) {
        case "c" where number.intValue == 0 || number.intValue == 1:
            self = .bool(number.boolValue)
        case "f", "d":
            self = .number(number.doubleValue)
        case "Q", "L", "I", "S", "C":
            self = Int64(exactly: number.uint64Value).map(JSONValue.integer) ?? .number(number.doubleValue)
        default:
            self = .integer(number.int64Value)
        }
    }
}

/// A malformed JSON document.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    /// The byte offset of the problem.
    public var offset: Int
    /// What is wrong.
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    static let maxDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected data after the document") }
        return value
    }

    func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, reason: reason) }

    mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("unexpected end") }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw fail("invalid literal")
        }
        position += count
    }

    mutating func nest() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) levels") }
    }

    mutating func object() throws -> JSONValue {
        try nest()
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            members[key] = try value()
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            position += 1
            depth -= 1
            return .object(members)
        }
    }

    mutating func array() throws -> JSONValue {
        try nest()
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            items.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            position += 1
            depth -= 1
            return .array(items)
        }
    }

    mutating func string() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try validated(start, position)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            position += 1
        }
        var buffer = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: buffer, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw fail("unexpected end") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    buffer.append(contentsOf: Array(String(unicode).utf8))
                default:
                    throw fail("invalid escape")
                }
            default:
                if byte < 0x20 { throw fail("control character in a string") }
                buffer.append(byte)
                position += 1
            }
        }
        throw fail("unterminated string")
    }

    func validated(_ start: Int, _ end: Int) throws -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else {
            throw fail("invalid UTF-8 in a string")
        }
        return text
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// An integral literal that fits in 64 bits as an ``JSONValue/integer(_:)``, any other
    /// number as a `Double`.
    mutating func number() throws -> JSONValue {
        let start = position
        func digits() -> Int {
            let first = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - first
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw fail("unexpected end") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw fail("invalid number")
        }
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            integral = false
            guard digits() > 0 else { throw fail("invalid number") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            integral = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fail("invalid number") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let integer = Int64(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else { throw fail("number out of range") }
        return .number(number)
    }
}

private enum JSONWriter {
    /// UTF-8 bytes being written (appending to a byte array is several times cheaper than to a
    /// `String`, whose every append re-checks its contents).
    struct Output {
        var bytes: [UInt8] = []

        init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

        mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }

        mutating func append(byte: UInt8) { bytes.append(byte) }

        mutating func appendSpaces(_ count: Int) {
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
        }

        /// The text written (valid UTF-8: only whole strings and ASCII are appended).
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Writes `value`; `indent` is the current level's indentation when pretty-printing, `nil`
    /// for the compact form.
    static func write(_ value: JSONValue, into output: inout Output, indent: Int?, sortKeys: Bool = true) {
        switch value {
        case .null: output.append("null")
        case .bool(let flag): output.append(flag ? "true" : "false")
        case .integer(let integer): output.append(String(integer))
        case .number(let number):
            if !number.isFinite {
                output.append("null")
            } else if number.rounded() == number, abs(number) < 9.0e15 {
                output.append(String(Int64(number)))
            } else {
                output.append("\(number)")
            }
        case .string(let text): writeString(text, into: &output)
        case .array(let items):
            guard let indent, !items.isEmpty else {
                output.append(byte: UInt8(ascii: "["))
                for (index, item) in items.enumerated() {
                    if index > 0 { output.append(byte: UInt8(ascii: ",")) }
                    write(item, into: &output, indent: nil, sortKeys: sortKeys)
                }
                output.append(byte: UInt8(ascii: "]"))
                return
            }
            output.append("[\n")
            for (index, item) in items.enumerated() {
                output.appendSpaces(indent + 2)
                write(item, into: &output, indent: indent + 2)
                output.append(index == items.count - 1 ? "\n" : ",\n")
            }
            output.appendSpaces(indent)
            output.append(byte: UInt8(ascii: "]"))
        case .object(let members):
            if !sortKeys, indent == nil {
                output.append(byte: UInt8(ascii: "{"))
                var first = true
                for (key, member) in members {
                    if !first { output.append(byte: UInt8(ascii: ",")) }
                    first = false
                    writeString(key, into: &output)
                    output.append(byte: UInt8(ascii: ":"))
                    write(member, into: &output, indent: nil, sortKeys: false)
                }
                output.append(byte: UInt8(ascii: "}"))
                return
            }
            let keys = members.keys.sorted()
            guard let indent, !keys.isEmpty else {
                output.append(byte: UInt8(ascii: "{"))
                for (index, key) in keys.enumerated() {
                    if index > 0 { output.append(byte: UInt8(ascii: ",")) }
                    writeString(key, into: &output)
                    output.append(byte: UInt8(ascii: ":"))
                    write(members[key] ?? .null, into: &output, indent: nil)
                }
                output.append(byte: UInt8(ascii: "}"))
                return
            }
            output.append("{\n")
            for (index, key) in keys.enumerated() {
                output.appendSpaces(indent + 2)
                writeString(key, into: &output)
                output.append(" : ")
                write(members[key] ?? .null, into: &output, indent: indent + 2)
                output.append(index == keys.count - 1 ? "\n" : ",\n")
            }
            output.appendSpaces(indent)
            output.append(byte: UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, into output: inout Output) {
        output.append(byte: UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte == 0x22 || byte == 0x5C || byte < 0x20 else { continue }
                output.bytes.append(contentsOf: utf8[start..<index])
                switch byte {
                case 0x22: output.append("\\\"")
                case 0x5C: output.append("\\\\")
                case 0x0A: output.append("\\n")
                case 0x0D: output.append("\\r")
                case 0x09: output.append("\\t")
                default:
                    let hex = String(byte, radix: 16)
                    output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                }
                start = index + 1
            }
            output.bytes.append(contentsOf: utf8[start..<utf8.endIndex])
        }
        output.append(byte: UInt8(ascii: "\""))
    }
}
