import Foundation
import Testing
@testable import AgentRuntime

/// The typed transcript payloads against rows as the runtime wrote them before the types existed
/// (copied from a transcript of that code): every row reads into its type and writes back the same JSON.
@Suite struct TranscriptSchemaTests {
    static let rows: [String] = [
        #"{"agentId":"main","id":"e9c620f8-60f2-42f9-b148-8b3cc76a40ed","sessionKey":"agent:main:main","timestamp":"2026-12-03T01:28:07.679Z","type":"session","version":1}"#,
        #"{"agentId":"main","id":"0b1","previousSessionId":"e9c620f8-60f2-42f9-b148-8b3cc76a40ed","reason":"reset","sessionKey":"agent:main:main","timestamp":"2026-12-03T01:29:07.679Z","type":"session","version":1}"#,
        #"{"id":"9c450c0e-580f-40cf-922b-308673f82392","idempotencyKey":"k1","message":{"content":[{"text":"read keys.txt","type":"text"}],"role":"user"},"parentId":"e9c620f8-60f2-42f9-b148-8b3cc76a40ed","timestamp":"2026-12-03T01:28:07.721Z","type":"message"}"#,
        #"{"agentId":"main","api":"openai-completions","credentials":1,"id":"9a781441-bb48-40dd-bc9b-8a043cd67b03","model":"fake/m1","namespace":"workspace","runId":"78fbe78d-708f-42d4-918c-8361dea222e2","timestamp":"2026-12-03T01:28:07.746Z","type":"run_start"}"#,
        #"{"agentId":"main","api":"anthropic-messages","credentials":2,"historyDropped":4,"id":"9a7","model":"fake/m1","namespace":"run:1","runId":"78f","timestamp":"2026-12-03T01:28:07.746Z","type":"run_start"}"#,
        #"{"id":"5dcc8441-3f38-4cea-991d-33c2a17d945a","message":{"content":[{"arguments":{"path":"keys.txt"},"id":"r","name":"read","type":"toolCall"}],"credential":"env:FAKE_API_KEY","model":"m1","provider":"fake","role":"assistant","stopReason":"tool_calls","usage":{"input":866,"output":4}},"parentId":"9c450c0e-580f-40cf-922b-308673f82392","timestamp":"2026-12-03T01:28:07.905Z","type":"message"}"#,
        #"{"id":"5dd","message":{"content":[{"text":"I will look.","type":"text"},{"arguments":"{\"path\": 1e400}","id":"r2","name":"read","type":"toolCall"},{"type":"image","url":"x"}],"credential":"openai:default","model":"m1","provider":"fake","role":"assistant","stopReason":"tool_calls","usage":{"input":1,"output":2}},"parentId":"5dc","timestamp":"2026-12-03T01:28:07.905Z","type":"message"}"#,
        #"{"id":"864d74b3-6eaa-4ff4-a5df-e7d51b62bc3e","message":{"content":[{"text":"1\tother=zz\n","type":"text"}],"details":{"lines":1,"path":"/keys.txt","totalLines":1},"isError":false,"role":"toolResult","toolCallId":"r","toolName":"read"},"parentId":"5dcc8441-3f38-4cea-991d-33c2a17d945a","timestamp":"2026-12-03T01:28:07.940Z","type":"message"}"#,
        #"{"error":{"code":"provider","httpStatus":400,"message":"provider 'fake' answered HTTP 400: invalid_request_error: bad request for key ****1111"},"id":"d176c6b1-e452-4014-b5f8-15e99a8a6390","runId":"78fbe78d-708f-42d4-918c-8361dea222e2","status":"failed","timestamp":"2026-12-03T01:28:08.015Z","toolCalls":1,"turns":2,"type":"run_end","usage":{"input":866,"output":4}}"#,
        #"{"error":{"code":"aborted","message":"the run was aborted","partialText":"thinking "},"id":"d17","runId":"78f","status":"aborted","timestamp":"2026-12-03T01:28:08.015Z","toolCalls":0,"turns":1,"type":"run_end","usage":{"input":0,"output":0}}"#,
        #"{"id":"d18","runId":"78f","status":"completed","timestamp":"2026-12-03T01:28:08.015Z","toolCalls":0,"turns":1,"type":"run_end","usage":{"input":5,"output":6}}"#,
        #"{"customType":"openclaw.legacy","data":{"x":1},"id":"l1","timestamp":"2026-01-01T00:00:00.000Z","type":"custom"}"#,
    ]

    /// The stored object again, from the typed payload and the keys SessionStore fills in.
    private static func rewritten(_ payload: TranscriptPayload, from original: JSONValue) -> JSONValue {
        var fields: [String: JSONValue]
        switch payload {
        case .session(let header): fields = header.fields
        case .message(let message): fields = ["message": message.json]
        case .runStart(let record): fields = record.fields
        case .runEnd(let record): fields = record.fields
        case .other(_, let json): return json
        }
        for key in ["type", "id", "timestamp", "parentId", "idempotencyKey"] {
            if let value = original[key] { fields[key] = value }
        }
        return .object(fields)
    }

    @Test(arguments: rows)
    func rowsWrittenByEarlierCodeReadAndWriteBackTheSame(_ row: String) throws {
        let json = try JSONValue.parse(row)
        let event = TranscriptEvent(seq: 1, id: json["id"]?.stringValue ?? "", type: json["type"]?.stringValue ?? "", parentID: json["parentId"]?.stringValue,
                                    createdAtMilliseconds: 0, json: json)
        let payload = event.payload
        if event.type == "custom" {
            guard case .other(let type, let kept) = payload else { Issue.record("an unknown type stays raw"); return }
            #expect(type == "custom" && kept == json)
        } else if case .other = payload {
            Issue.record("\(event.type) did not read into its type")
        }
        #expect(Self.rewritten(payload, from: json) == json, "written back the same")
    }

    @Test func typedPayloadsAreCodableWithTheStoredKeys() throws {
        for row in Self.rows {
            let json = try JSONValue.parse(row)
            guard let message = json["message"], case .message(let typed) = TranscriptEvent(seq: 1, id: "", type: "message", parentID: nil, createdAtMilliseconds: 0, json: json).payload else { continue }
            let data = try JSONEncoder().encode(typed)
            #expect(try JSONDecoder().decode(TranscriptMessage.self, from: data) == typed)
            #expect(try JSONValue.parse(String(decoding: data, as: UTF8.self)) == message, "Codable gives the stored shape")
        }
    }

    @Test func theWriterBuildsTheStoredShapes() throws {
        let start = TranscriptEventDraft.runStart(runID: "78f", agent: "main", model: ModelReference(provider: "fake", model: "m1"), api: "anthropic-messages",
                                                  namespace: "run:1", credentials: 2, historyDropped: 4)
        let expected = try JSONValue.parse(Self.rows[4])
        var fields = start.fields
        // The owner is this process (what a later start checks to find the runs of a killed one).
        #expect(RunOwner(fields.removeValue(forKey: "owner")) == RunOwner.current)
        #expect(RunOwner.current.isAlive)
        #expect(JSONValue.object(fields.merging(["type": "run_start", "id": "9a7", "timestamp": "2026-12-03T01:28:07.746Z"]) { $1 }) == expected)
        let end = TranscriptEventDraft.runEnd(runID: "78f", turns: 1, usage: TokenUsage(), toolCalls: 0,
                                              failure: AgentRuntimeError(.aborted, "the run was aborted"), partialText: "thinking ")
        #expect(JSONValue.object(end.fields.merging(["type": "run_end", "id": "d17", "timestamp": "2026-12-03T01:28:08.015Z"]) { $1 }) == (try JSONValue.parse(Self.rows[9])))
        let result = TranscriptEventDraft.toolResult(ToolCall(id: "r", name: "read", argumentsJSON: "{}"),
                                                     .success("1\tother=zz\n", ["lines": 1, "path": "/keys.txt", "totalLines": 1]))
        #expect(result.fields["message"] == (try JSONValue.parse(Self.rows[7]))["message"])
    }
}
