import Foundation
import Testing
@testable import AgentRuntime

@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" { "a" : [1, -2.5, 3e2, 0, -0.0, 1E-3], "b": {"c": null, "d": true, "e": false}, "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00" } "#)
        #expect(value["a"] == [1, .number(-2.5), 300, 0, .number(-0.0), .number(0.001)])
        #expect(value["b"] == ["c": nil, "d": true, "e": false])
        #expect(value["s"] == .string("x\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(try JSONValue.parse("12345678901234") == .int64(12_345_678_901_234))
        #expect(try JSONValue.parse("\"\"") == "")
        #expect(try JSONValue.parse("[]") == [])
        #expect(try JSONValue.parse("{}") == [:])
    }

    @Test(arguments: ["", " ", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"abc", "\"a\u{1}b\"",
                      "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u12g4\"", "[1] 2", "{1:2}", "NaN", "Infinity"])
    func rejectsMalformedDocuments(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0x22])) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) }
        #expect(throws: Never.self) { try JSONValue.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) }
    }

    @Test func writesCompactSortedJSONThatFoundationReadsBack() throws {
        let value: JSONValue = ["z": 1, "a": ["x/y", .number(0.1), .number(-3), nil, true], "q": .string("quote \" back \\ nl \n ctl \u{1} é")]
        #expect(value.jsonText == #"{"a":["x/y",0.1,-3,null,true],"q":"quote \" back \\ nl \n ctl \u0001 é","z":1}"#)
        let foundation = try JSONSerialization.jsonObject(with: value.encoded()) as? [String: Any]
        #expect(foundation?["q"] as? String == "quote \" back \\ nl \n ctl \u{1} é")
        #expect(try JSONValue.parse(value.encoded()) == value)
        #expect(JSONValue.number(.infinity).jsonText == "null")
    }

    @Test func convertsFoundationValuesAndPrettyPrints() throws {
        let optional: Int? = nil
        let object: [String: Any] = ["b": true, "i": Int64(7), "u": UInt32(3), "d": 1.5, "n": NSNull(), "o": optional as Any,
                                     "a": [1, "x"] as [Any], "s": "a/b", "nested": ["k": [String: Any]()]]
        let value = JSONValue(foundationObject: object)
        #expect(value == ["b": true, "i": 7, "u": 3, "d": .number(1.5), "n": nil, "o": nil, "a": [1, "x"], "s": "a/b", "nested": ["k": [:]]])
        #expect(value.prettyText.hasPrefix("{\n  \"a\" : [\n    1,\n    \"x\"\n  ],\n  \"b\" : true,"))
        #expect(try JSONValue.parse(value.prettyText) == value)
        #expect(JSONValue(foundationObject: NSNumber(value: 2.5)) == .number(2.5))
    }

    @Test func roundTripsRandomDocuments() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return Bool.random() ? .int(Int.random(in: -1_000_000...1_000_000)) : .number(Double.random(in: -1e6...1e6))
            case 3: return .string(String((0..<Int.random(in: 0...12)).map { _ in Character(Unicode.Scalar(UInt32.random(in: 1...0x2FF)) ?? "a") }))
            case 4: return .array((0..<Int.random(in: 0...4)).map { _ in random(depth + 1) })
            default: return .object(Dictionary((0..<Int.random(in: 0...4)).map { ("k\($0)\(Int.random(in: 0...9))", random(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            #expect(try JSONValue.parse(value.jsonText) == value)
            let viaFoundation = try JSONSerialization.jsonObject(with: value.encoded(), options: [.fragmentsAllowed])
            let back = try JSONSerialization.data(withJSONObject: viaFoundation, options: [.fragmentsAllowed])
            #expect(try JSONValue.parse(back) == value)
        }
    }
}

@Suite struct JSONWireTextTests {
    @Test func theWireTextReadsBackAsTheSameValueAndJSONTextStaysSorted() throws {
        let value: JSONValue = ["z": 1, "a": ["nested": ["y": "é\n\"", "b": [1, .number(2.5), .null, true]]], "m": [[:], []]]
        #expect(try JSONValue.parse(value.wireText) == value)
        #expect(value.jsonText == #"{"a":{"nested":{"b":[1,2.5,null,true],"y":"é\n\""}},"m":[{},[]],"z":1}"#, "sorted, as stored")
        #expect(!value.wireText.contains(" "))
    }
}

@Suite struct JSONIntegerTests {
    static let edges: [Int64] = [
        .min, .min + 1, -(1 << 53) - 1, -(1 << 53), -1, 0, 1, 1 << 53, (1 << 53) + 1,
        1_796_223_509_244_337_400, .max - 1, .max,
    ]

    /// The integer of an ``JSONValue/integer(_:)``; `nil` for a `Double`, even an equal one.
    static func exactInteger(_ value: JSONValue?) -> Int64? {
        if case .integer(let integer) = value { return integer }
        return nil
    }

    @Test(arguments: edges)
    func parsesAndWritesExactly(_ value: Int64) throws {
        let text = String(value)
        #expect(Self.exactInteger(try JSONValue.parse(text)) == value)
        #expect(JSONValue.int64(value).jsonText == text)
        #expect(JSONValue.int64(value).prettyText == text)
        let document: JSONValue = ["n": .int64(value), "a": [.int64(value)]]
        #expect(document.jsonText == #"{"a":[\#(text)],"n":\#(text)}"#)
        #expect(try JSONValue.parse(document.prettyText) == document)
        #expect(try JSONValue.parse(document.encoded())["n"]?.int64Value == value)
    }

    @Test(arguments: edges)
    func codableKeepsEveryDigit(_ value: Int64) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(["n": JSONValue.int64(value)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"n":\#(value)}"#)
        let decoded = try JSONDecoder().decode([String: JSONValue].self, from: data)
        #expect(Self.exactInteger(decoded["n"]) == value)
    }

    @Test(arguments: edges)
    func foundationValuesConvertExactly(_ value: Int64) throws {
        #expect(JSONValue(foundationObject: value) == .integer(value))
        #expect(JSONValue(foundationObject: NSNumber(value: value)).int64Value == value)
        #expect(JSONValue(foundationObject: [NSNumber(value: value), value] as [Any]) == [.int64(value), .int64(value)])
        #expect(JSONValue(foundationObject: ["n": value] as [String: Any]).jsonText == #"{"n":\#(value)}"#)
        if let small = Int32(exactly: value) { #expect(JSONValue(foundationObject: small) == .integer(value)) }
        if let unsigned = UInt32(exactly: value) { #expect(JSONValue(foundationObject: unsigned) == .integer(value)) }
        #expect(JSONValue(foundationObject: Int(value)) == .int(Int(value)))
    }

    @Test func integersAndDoublesCompareByValue() throws {
        #expect(JSONValue.integer(300) == .number(300))
        #expect(try JSONValue.parse("3e2") == 300)
        #expect(JSONValue.integer((1 << 53) + 1) != .number(9_007_199_254_740_992))
        #expect(try JSONValue.parse("9007199254740993") != JSONValue.parse("9007199254740993.0"))
        #expect(JSONValue.integer(1) != .bool(true))
        #expect(JSONValue.number(1.5).intValue == nil)
        #expect(JSONValue.number(1e18).int64Value == nil)
        #expect(JSONValue.number(-42).intValue == -42)
        #expect(JSONValue.integer(.max).doubleValue == 9.223372036854775807e18)
        // Beyond 64 bits an integral literal is a Double, as JSONSerialization reads it.
        #expect(try JSONValue.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(JSONValue(foundationObject: UInt64.max) == .number(Double(UInt64.max)))
        #expect(JSONValue(foundationObject: true) == .bool(true))
        #expect(JSONValue(foundationObject: NSNumber(value: UInt64(7))) == 7)
    }
}

@Suite struct RedactionCheckTests {
    @Test func proseWithoutTokensSkipsTheExpressions() {
        #expect(!Redaction.mayHoldSecret("for her other order, a look-up of the kind we prefer", secrets: []))
        #expect(Redaction.mayHoldSecret("BEARER\tabcdefghijklmnop", secrets: []))
        #expect(Redaction.mayHoldSecret("token=rk-live-abcdefghijklmnopq", secrets: []))
    }
}
