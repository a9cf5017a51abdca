import AgentRuntime
import Foundation
import NIOCore

/// One message of a chat completion request, its content reduced to text.
struct OpenAIChatMessage: Sendable, Equatable {
    /// The roles OpenAI's clients send (`function` is the old name of `tool`).
    enum Role: String, Sendable, CaseIterable {
        case system, developer, user, assistant, tool, function
    }

    var role: Role
    /// The text: a string content, or the text parts joined by newlines.
    var text: String
    /// The `name` field (a tool's or a participant's), when given.
    var name: String?
}

/// The body of `POST /v1/chat/completions`, validated.
///
/// `{model, messages, stream?, stream_options?{include_usage?}, user?, n?}`; other fields
/// (`temperature`, `max_tokens`, `tools`, ...) are accepted and ignored: the agent's own model
/// settings and tools apply. Content is a string, `null`, or an array of `{type:"text", text}`
/// parts; image parts are refused.
struct OpenAIChatRequest: Sendable, Equatable {
    /// The `model` as sent (echoed in the answer).
    var model: String
    var messages: [OpenAIChatMessage]
    var stream: Bool
    /// `stream_options.include_usage`: a last chunk carries the usage.
    var includeUsage: Bool
    /// The `user` field, which names a session per user.
    var user: String?

    /// Parses and validates a request body.
    /// - throws: ``OpenAIError`` 400, naming the field at fault in `param`.
    init(body: ByteBuffer) throws(OpenAIError) {
        guard body.readableBytes > 0 else { throw .invalidRequest("the request body is empty: send a JSON object", code: "invalid_json") }
        let document: JSONValue
        do { document = try JSONValue.parse(Data(body.readableBytesView)) } catch {
            throw .invalidRequest("the request body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard let object = document.objectValue else { throw .invalidRequest("the request body must be a JSON object", code: "invalid_json") }
        guard let model = object["model"]?.stringValue, !model.isEmpty else { throw .invalidModel }
        self.model = model
        messages = try Self.messages(object["messages"])
        stream = try Self.optionalBool(object["stream"], param: "stream") ?? false
        switch object["stream_options"] {
        case nil, .null?:
            includeUsage = false
        case .object(let options)?:
            includeUsage = try Self.optionalBool(options["include_usage"], param: "stream_options.include_usage") ?? false
        default:
            throw .invalidRequest("`stream_options` must be an object", param: "stream_options")
        }
        switch object["user"] {
        case nil, .null?: user = nil
        case .string(let value)?: user = value.isEmpty ? nil : value
        default: throw .invalidRequest("`user` must be a string", param: "user")
        }
        switch object["n"] {
        case nil, .null?: break
        case let value? where value.intValue == 1: break
        default: throw .invalidRequest("only `n` = 1 is served", param: "n")
        }
    }

    private static func optionalBool(_ value: JSONValue?, param: String) throws(OpenAIError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw .invalidRequest("`\(param)` must be a boolean", param: param)
        }
    }

    private static func messages(_ value: JSONValue?) throws(OpenAIError) -> [OpenAIChatMessage] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw .invalidRequest("`messages` must be a non-empty array of messages", param: "messages")
        }
        var messages: [OpenAIChatMessage] = []
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            guard let object = item.objectValue else { throw .invalidRequest("`\(param)` must be an object", param: param) }
            guard let raw = object["role"]?.stringValue, let role = OpenAIChatMessage.Role(rawValue: raw) else {
                let roles = OpenAIChatMessage.Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidRequest("`\(param).role` must be one of \(roles)", param: param + ".role")
            }
            let name: String?
            switch object["name"] {
            case nil, .null?: name = nil
            case .string(let value)?: name = value
            default: throw .invalidRequest("`\(param).name` must be a string", param: param + ".name")
            }
            messages.append(OpenAIChatMessage(role: role, text: try text(of: object["content"], param: param + ".content"), name: name))
        }
        return messages
    }

    /// A content's text: a string, `null` (an assistant turn that only called tools), or text parts.
    private static func text(of content: JSONValue?, param: String) throws(OpenAIError) -> String {
        switch content {
        case nil, .null?:
            return ""
        case .string(let text)?:
            return text
        case .array(let parts)?:
            var texts: [String] = []
            for (index, part) in parts.enumerated() {
                let partParam = "\(param)[\(index)]"
                guard let type = part["type"]?.stringValue else { throw .invalidRequest("`\(partParam).type` must be a string", param: partParam) }
                switch type {
                case "text", "input_text":
                    guard let text = part["text"]?.stringValue else { throw .invalidRequest("`\(partParam).text` must be a string", param: partParam) }
                    texts.append(text)
                case "image_url", "input_image", "image":
                    throw .invalidRequest("image input is not served", param: partParam, code: "image_input_not_served")
                default:
                    throw .invalidRequest("content part type `\(type)` is not served: send text parts", param: partParam)
                }
            }
            return texts.joined(separator: "\n")
        default:
            throw .invalidRequest("`\(param)` must be a string or an array of content parts", param: param)
        }
    }
}
