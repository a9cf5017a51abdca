import AgentRuntime
import Foundation

/// A frame that cannot be answered as asked, and the id to answer it with when it had one.
struct FrameFailure: Error {
    var id: String?
    var error: GatewayError
}

/// A client's request: `{type:"req", id, method, params?}`.
struct RequestFrame: Sendable {
    var id: String
    var method: String
    var params: [String: JSONValue]

    /// Parses a text message.
    /// - throws: ``GatewayError`` `INVALID_REQUEST` "invalid request frame: ..."; `id` is the
    ///   frame's id when it had one, for the response.
    static func parse(_ text: String) -> Result<RequestFrame, FrameFailure> {
        func invalid(_ why: String, id: String? = nil) -> Result<RequestFrame, FrameFailure> {
            .failure(FrameFailure(id: id, error: GatewayError(.invalidRequest, "invalid request frame: \(why)")))
        }
        guard let value = try? JSONValue.parse(text) else { return invalid("not JSON") }
        guard let object = value.objectValue else { return invalid("not a JSON object") }
        let id = object["id"]?.stringValue
        guard object["type"]?.stringValue == "req" else { return invalid("type must be \"req\"", id: id) }
        guard let id, !id.isEmpty, id.utf8.count <= 256 else { return invalid("id must be a string of 1 to 256 bytes") }
        guard let method = object["method"]?.stringValue, !method.isEmpty else { return invalid("method must be a non-empty string", id: id) }
        let params: [String: JSONValue]
        switch object["params"] {
        case nil, .null?: params = [:]
        case .object(let members)?: params = members
        default: return invalid("params must be an object", id: id)
        }
        return .success(RequestFrame(id: id, method: method, params: params))
    }
}

/// The frames the gateway sends, as text.
/// The frames sent, written with their envelope keys in a fixed order (`type` first, so a reader
/// can tell a frame by its start) and their payloads compact in storage order
/// (``JSONValue/wireText``).
enum Frame {
    /// `{type:"res", id, ok:true, payload}`: no `error` key at all.
    static func success(id: String, payload: JSONValue) -> String {
        #"{"type":"res","id":"# + JSONValue.string(id).wireText + #","ok":true,"payload":"# + payload.wireText + "}"
    }

    /// `{type:"res", id, ok:false, error}`: no `payload` key.
    static func failure(id: String?, error: GatewayError) -> String {
        #"{"type":"res","id":"# + JSONValue.string(id ?? "").wireText + #","ok":false,"error":"# + error.json.wireText + "}"
    }

    /// `{type:"event", event, payload, seq?}`.
    static func event(_ name: String, payload: JSONValue, seq: Int64? = nil) -> String {
        #"{"type":"event","event":"# + JSONValue.string(name).wireText + #","payload":"# + payload.wireText
            + (seq.map { #","seq":\#($0)}"# } ?? "}")
    }
}

/// Reading a method's params, with the protocol's error for each bad field.
struct Params {
    let method: String
    let values: [String: JSONValue]

    init(_ method: String, _ values: [String: JSONValue]) {
        self.method = method
        self.values = values
    }

    func fail(_ why: String) -> GatewayError { .invalidParams(method, why) }

    /// Refuses keys outside `known` (the schemas are closed).
    func only(_ known: Set<String>) throws(GatewayError) {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown property \(unknown.debugDescription)")
        }
    }

    func string(_ key: String) throws(GatewayError) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw fail("\(key) must be a string")
        }
    }

    func requiredString(_ key: String) throws(GatewayError) -> String {
        guard let value = try string(key) else { throw fail("\(key) is required") }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(GatewayError) -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case let value?:
            guard let number = value.intValue, range.contains(number) else { throw fail("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)") }
            return number
        }
    }

    func bool(_ key: String) throws(GatewayError) -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw fail("\(key) must be a boolean")
        }
    }

    func strings(_ key: String) throws(GatewayError) -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count else { throw fail("\(key) must be an array of strings") }
            return strings
        default: throw fail("\(key) must be an array of strings")
        }
    }

    func object(_ key: String) throws(GatewayError) -> [String: JSONValue]? {
        switch values[key] {
        case nil, .null?: return nil
        case .object(let members)?: return members
        default: throw fail("\(key) must be an object")
        }
    }

    /// Whether `key` is present with an explicit `null` (a patch that clears).
    func isNull(_ key: String) -> Bool { values[key] == .null }
}
