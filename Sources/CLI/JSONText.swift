import AgentRuntime
import Foundation

/// Renders the Foundation values the commands print (`[String: Any]`, `[Any]`, strings, Swift
/// numbers, Booleans, `NSNull`) as indented JSON with sorted keys and unescaped slashes, through
/// ``JSONValue``'s writer. Integers are printed exactly, every digit of an `Int64`.
///
/// It is the `--json` writer: JSONSerialization with sorted keys spent most of a large listing
/// in Foundation's bridging (1.2 s for 10k sessions).
enum JSONText {
    static func render(_ value: Any) -> String {
        JSONValue(foundationObject: value).prettyText
    }

    /// The same text for an `Encodable` value (encoded by JSONEncoder, then written by
    /// ``JSONValue``'s writer).
    static func render(encoding value: some Encodable) throws -> String {
        try JSONValue.parse(JSONEncoder().encode(value)).prettyText
    }
}

/// A `--json` array written element by element as a listing walks, so memory stays bounded by
/// one element and the output buffer. The text is the same as ``JSONText/render(_:)`` of the
/// whole array: `[]` when empty, else one element per two-space-indented block.
struct JSONArrayStream {
    private var count = 0

    /// Writes `element`, after a comma when it is not the first.
    mutating func append(_ element: JSONValue, to output: inout BufferedOutput) throws {
        try output.write(count == 0 ? "[\n  " : ",\n  ")
        try output.write(element.prettyText(nestedAt: 2))
        count += 1
    }

    /// Closes the array and ends the line.
    func finish(_ output: inout BufferedOutput) throws {
        try output.write(count == 0 ? "[]\n" : "\n]\n")
    }
}
