import Foundation

/// What a tool gives back to the model.
public struct ToolOutcome: Sendable, Equatable {
    /// The text the model reads.
    public var text: String
    /// Whether the tool failed (the text then says why, with the errno).
    public var isError: Bool
    /// Facts for the transcript: which path, how many bytes...
    public var details: [String: JSONValue]

    /// A success.
    public static func success(_ text: String, _ details: [String: JSONValue] = [:]) -> ToolOutcome {
        ToolOutcome(text: text, isError: false, details: details)
    }

    /// A failure.
    public static func failure(_ text: String, _ details: [String: JSONValue] = [:]) -> ToolOutcome {
        ToolOutcome(text: text, isError: true, details: details)
    }
}

/// Reading tool arguments with errors the model can act on.
struct ToolArguments {
    let tool: String
    let object: [String: JSONValue]

    init(tool: String, json: String) throws {
        self.tool = tool
        guard let value = try? JSONValue.parse(json), let object = value.objectValue else {
            throw ToolArgumentError("\(tool): the arguments are not a JSON object")
        }
        self.object = object
    }

    func string(_ name: String) throws -> String {
        guard let value = object[name] else { throw ToolArgumentError("\(tool): missing required argument '\(name)'") }
        guard let text = value.stringValue else { throw ToolArgumentError("\(tool): argument '\(name)' must be a string") }
        return text
    }

    func optionalString(_ name: String) throws -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw ToolArgumentError("\(tool): argument '\(name)' must be a string") }
        return text
    }

    func optionalInt(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = object[name], value != .null else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw ToolArgumentError("\(tool): argument '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func optionalBool(_ name: String) throws -> Bool? {
        guard let value = object[name], value != .null else { return nil }
        guard let flag = value.boolValue else { throw ToolArgumentError("\(tool): argument '\(name)' must be true or false") }
        return flag
    }
}

/// A tool call with arguments the tool cannot use.
struct ToolArgumentError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
