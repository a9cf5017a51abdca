import AgentRuntime
import Foundation

/// Renders the Foundation values the commands print (`[String: Any]`, `[Any]`, strings, Swift
/// numbers, Booleans, `NSNull`) as indented JSON with sorted keys and unescaped slashes, through
/// ``JSONValue``'s writer.
///
/// It is the `--json` writer: JSONSerialization with sorted keys spent most of a large listing
/// in Foundation's bridging (1.2 s for 10k sessions).
enum JSONText {
    static func render(_ value: Any) -> String {
        JSONValue(foundationObject: value).prettyText
    }
}
