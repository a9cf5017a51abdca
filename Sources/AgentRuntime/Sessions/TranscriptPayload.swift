import Foundation

/// The payloads of the transcript events the runtime writes, as types: docs/schema.md's contract
/// in code, used by the writer, the history builder, the CLI's readers and (next) the gateway.
///
/// Each converts to and from the stored event's `JSONValue` directly (the hot path: history is
/// read on every run) and is `Codable` with the same keys for callers that encode it themselves.
/// Fields the runtime does not know are kept by readers that need them through the event's `json`.
public enum TranscriptPayload: Sendable, Equatable {
    /// The header of a session id.
    case session(TranscriptHeader)
    /// A conversation message.
    case message(TranscriptMessage)
    /// The marker that starts a run.
    case runStart(RunStartRecord)
    /// The marker that ends a run.
    case runEnd(RunEndRecord)
    /// An event of another type (a legacy import, a caller's own), or one that does not parse.
    case other(type: String, JSONValue)

    /// Reads a stored event.
    public init(_ event: TranscriptEvent) {
        let json = event.json
        switch event.type {
        case "session": self = TranscriptHeader(json).map(Self.session) ?? .other(type: event.type, json)
        case "message": self = TranscriptMessage(json["message"] ?? .null).map(Self.message) ?? .other(type: event.type, json)
        case "run_start": self = RunStartRecord(json).map(Self.runStart) ?? .other(type: event.type, json)
        case "run_end": self = RunEndRecord(json).map(Self.runEnd) ?? .other(type: event.type, json)
        default: self = .other(type: event.type, json)
        }
    }
}

extension TranscriptEvent {
    /// The event's payload, typed.
    public var payload: TranscriptPayload { TranscriptPayload(self) }
}

/// `{type: "session", version, agentId, sessionKey, previousSessionId?, reason?}`.
public struct TranscriptHeader: Sendable, Equatable, Codable {
    public var version: Int
    public var agentId: String
    public var sessionKey: String
    public var previousSessionId: String?
    /// `reset` or `import` (absent for the first session id of a key).
    public var reason: String?

    public init(version: Int = 1, agentId: String, sessionKey: String, previousSessionId: String? = nil, reason: String? = nil) {
        self.version = version
        self.agentId = agentId
        self.sessionKey = sessionKey
        self.previousSessionId = previousSessionId
        self.reason = reason
    }

    init?(_ json: JSONValue) {
        guard let agent = json["agentId"]?.stringValue, let key = json["sessionKey"]?.stringValue else { return nil }
        self.init(version: json["version"]?.intValue ?? 1, agentId: agent, sessionKey: key,
                  previousSessionId: json["previousSessionId"]?.stringValue, reason: json["reason"]?.stringValue)
    }

    /// The event's fields.
    var fields: [String: JSONValue] {
        var fields: [String: JSONValue] = ["version": .int(version), "agentId": .string(agentId), "sessionKey": .string(sessionKey)]
        if let previousSessionId { fields["previousSessionId"] = .string(previousSessionId) }
        if let reason { fields["reason"] = .string(reason) }
        return fields
    }
}

/// One block of a message's `content`.
public enum TranscriptContent: Sendable, Equatable, Codable {
    /// `{type: "text", text}`.
    case text(String)
    /// `{type: "toolCall", id, name, arguments}`: `arguments` is the parsed object, or the model's
    /// raw string when it was not valid JSON.
    case toolCall(id: String, name: String, arguments: JSONValue)
    /// A block of another type, kept as it was.
    case other(JSONValue)

    init(_ json: JSONValue) {
        switch json["type"]?.stringValue {
        case "text" where json["text"]?.stringValue != nil:
            self = .text(json["text"]?.stringValue ?? "")
        case "toolCall" where json["id"]?.stringValue != nil && json["name"]?.stringValue != nil:
            self = .toolCall(id: json["id"]?.stringValue ?? "", name: json["name"]?.stringValue ?? "", arguments: json["arguments"] ?? .object([:]))
        default:
            self = .other(json)
        }
    }

    /// The block as stored.
    public var json: JSONValue {
        switch self {
        case .text(let text): ["type": "text", "text": .string(text)]
        case .toolCall(let id, let name, let arguments): ["type": "toolCall", "id": .string(id), "name": .string(name), "arguments": arguments]
        case .other(let json): json
        }
    }

    public init(from decoder: any Decoder) throws { self.init(try JSONValue(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

/// The `message` of a `message` event: `{role, content, ...}` with the fields of its role.
public struct TranscriptMessage: Sendable, Equatable, Codable {
    /// `user`, `assistant`, `toolResult` (or another role of an import).
    public var role: String
    public var content: [TranscriptContent]
    /// A tool result's call id, tool name, failure flag and details.
    public var toolCallId: String?
    public var toolName: String?
    public var isError: Bool?
    public var details: [String: JSONValue]?
    /// An assistant message's provider, model, stop reason, usage and credential label.
    public var provider: String?
    public var model: String?
    public var stopReason: String?
    public var usage: UsageRecord?
    public var credential: String?

    public init(role: String, content: [TranscriptContent], toolCallId: String? = nil, toolName: String? = nil, isError: Bool? = nil,
                details: [String: JSONValue]? = nil, provider: String? = nil, model: String? = nil, stopReason: String? = nil,
                usage: UsageRecord? = nil, credential: String? = nil) {
        self.role = role
        self.content = content
        self.toolCallId = toolCallId
        self.toolName = toolName
        self.isError = isError
        self.details = details
        self.provider = provider
        self.model = model
        self.stopReason = stopReason
        self.usage = usage
        self.credential = credential
    }

    init?(_ json: JSONValue) {
        guard let role = json["role"]?.stringValue else { return nil }
        self.init(role: role, content: (json["content"]?.arrayValue ?? []).map(TranscriptContent.init),
                  toolCallId: json["toolCallId"]?.stringValue, toolName: json["toolName"]?.stringValue, isError: json["isError"]?.boolValue,
                  details: json["details"]?.objectValue, provider: json["provider"]?.stringValue, model: json["model"]?.stringValue,
                  stopReason: json["stopReason"]?.stringValue, usage: json["usage"].flatMap(UsageRecord.init), credential: json["credential"]?.stringValue)
    }

    /// The message as stored.
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["role": .string(role), "content": .array(content.map(\.json))]
        if let toolCallId { fields["toolCallId"] = .string(toolCallId) }
        if let toolName { fields["toolName"] = .string(toolName) }
        if let isError { fields["isError"] = .bool(isError) }
        if let details { fields["details"] = .object(details) }
        if let provider { fields["provider"] = .string(provider) }
        if let model { fields["model"] = .string(model) }
        if let stopReason { fields["stopReason"] = .string(stopReason) }
        if let usage { fields["usage"] = usage.json }
        if let credential { fields["credential"] = .string(credential) }
        return .object(fields)
    }

    /// The text blocks, joined.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    /// The tool calls, in order.
    public var toolCalls: [ToolCall] {
        content.compactMap { block in
            guard case .toolCall(let id, let name, let arguments) = block else { return nil }
            return ToolCall(id: id, name: name, argumentsJSON: arguments.stringValue ?? arguments.jsonText)
        }
    }
}

/// `{input, output}` tokens, as stored.
public struct UsageRecord: Sendable, Equatable, Codable {
    public var input: Int
    public var output: Int

    public init(_ usage: TokenUsage) {
        input = usage.inputTokens
        output = usage.outputTokens
    }

    init?(_ json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        input = json["input"]?.intValue ?? 0
        output = json["output"]?.intValue ?? 0
    }

    /// As ``TokenUsage``.
    public var tokens: TokenUsage { TokenUsage(inputTokens: input, outputTokens: output) }

    var json: JSONValue { ["input": .int(input), "output": .int(output)] }
}

/// `{type: "run_start", runId, agentId, model, api, namespace, credentials, historyDropped?, owner?}`.
public struct RunStartRecord: Sendable, Equatable, Codable {
    public var runId: String
    public var agentId: String
    /// `provider/model`.
    public var model: String
    public var api: String
    public var namespace: String
    /// How many credentials the run may try (never which).
    public var credentials: Int
    /// Old messages left out of the history to fit the context window.
    public var historyDropped: Int?
    /// The process that ran it (absent in runs recorded before openclaw wrote it).
    public var owner: RunOwner?

    init(runId: String, agentId: String, model: String, api: String, namespace: String, credentials: Int, historyDropped: Int?,
         owner: RunOwner? = nil) {
        self.runId = runId
        self.agentId = agentId
        self.model = model
        self.api = api
        self.namespace = namespace
        self.credentials = credentials
        self.historyDropped = historyDropped
        self.owner = owner
    }

    init?(_ json: JSONValue) {
        guard let runId = json["runId"]?.stringValue else { return nil }
        self.init(runId: runId, agentId: json["agentId"]?.stringValue ?? "", model: json["model"]?.stringValue ?? "", api: json["api"]?.stringValue ?? "",
                  namespace: json["namespace"]?.stringValue ?? "", credentials: json["credentials"]?.intValue ?? 0,
                  historyDropped: json["historyDropped"]?.intValue, owner: RunOwner(json["owner"]))
    }

    var fields: [String: JSONValue] {
        var fields: [String: JSONValue] = ["runId": .string(runId), "agentId": .string(agentId), "model": .string(model), "api": .string(api),
                                           "namespace": .string(namespace), "credentials": .int(credentials)]
        if let historyDropped { fields["historyDropped"] = .int(historyDropped) }
        if let owner { fields["owner"] = owner.json }
        return fields
    }
}

/// `{type: "run_end", runId, status, turns, usage, toolCalls, error?}`.
public struct RunEndRecord: Sendable, Equatable, Codable {
    /// Why a run did not complete.
    public struct Failure: Sendable, Equatable, Codable {
        /// An ``AgentRuntimeError/Code-swift.enum`` raw value.
        public var code: String
        public var message: String
        public var httpStatus: Int?
        /// The text streamed in the failing turn before it ended.
        public var partialText: String?
    }

    public var runId: String
    /// `completed`, `failed`, `aborted`, or `interrupted` (its process ended first: see
    /// ``AgentRuntime/recoverInterruptedRuns()``).
    public var status: String
    public var turns: Int
    public var usage: UsageRecord
    public var toolCalls: Int
    public var error: Failure?

    init(runId: String, status: String, turns: Int, usage: UsageRecord, toolCalls: Int, error: Failure?) {
        self.runId = runId
        self.status = status
        self.turns = turns
        self.usage = usage
        self.toolCalls = toolCalls
        self.error = error
    }

    init?(_ json: JSONValue) {
        guard let runId = json["runId"]?.stringValue, let status = json["status"]?.stringValue else { return nil }
        let error = json["error"].map { error in
            Failure(code: error["code"]?.stringValue ?? "", message: error["message"]?.stringValue ?? "",
                    httpStatus: error["httpStatus"]?.intValue, partialText: error["partialText"]?.stringValue)
        }
        self.init(runId: runId, status: status, turns: json["turns"]?.intValue ?? 0, usage: json["usage"].flatMap(UsageRecord.init) ?? UsageRecord(TokenUsage()),
                  toolCalls: json["toolCalls"]?.intValue ?? 0, error: error)
    }

    var fields: [String: JSONValue] {
        var fields: [String: JSONValue] = ["runId": .string(runId), "status": .string(status), "turns": .int(turns), "usage": usage.json,
                                           "toolCalls": .int(toolCalls)]
        if let error {
            var object: [String: JSONValue] = ["code": .string(error.code), "message": .string(error.message)]
            if let status = error.httpStatus { object["httpStatus"] = .int(status) }
            if let partial = error.partialText { object["partialText"] = .string(partial) }
            fields["error"] = .object(object)
        }
        return fields
    }
}
