import AgentRuntime
import Foundation
import StateStore

extension Gateway {
    /// A session row as `sessions.list` gives it.
    func sessionRow(_ summary: SessionSummary) -> JSONValue {
        var row: [String: JSONValue] = [
            "key": .string(summary.key.value), "kind": summary.key.isSubagent ? "subagent" : "direct",
            "updatedAt": .int64(summary.updatedAtMilliseconds), "createdAt": .int64(summary.createdAtMilliseconds),
            "sessionId": .string(summary.sessionID), "inputTokens": .int(summary.usage.inputTokens), "outputTokens": .int(summary.usage.outputTokens),
            "totalTokens": .int(summary.usage.inputTokens + summary.usage.outputTokens), "eventCount": .int64(summary.frontier.eventCount),
        ]
        if let model = summary.model {
            let parts = model.split(separator: "/", maxSplits: 1)
            row["model"] = .string(parts.count == 2 ? String(parts[1]) : model)
            if parts.count == 2 { row["modelProvider"] = .string(String(parts[0])) }
        }
        if let label = summary.label { row["label"] = .string(label) }
        if let chosen = summary.modelOverride { row["modelOverride"] = .string(chosen) }
        let active = runs.active(in: summary.key)
        row["hasActiveRun"] = .bool(!active.isEmpty)
        row["activeRunIds"] = .array(active.map { .string($0) })
        return .object(row)
    }

    /// A transcript message as `chat.history` gives it: role, text blocks, time; usage and
    /// details left out, text cut at 12 000 characters.
    static func historyRow(_ event: TranscriptEvent) -> JSONValue? {
        guard case .message(let message) = event.payload else { return nil }
        var blocks: [JSONValue] = []
        for block in message.content {
            switch block {
            case .text(let text):
                blocks.append(["type": "text", "text": .string(text.count > 12_000 ? String(text.prefix(12_000)) + "…" : text)])
            case .toolCall(let id, let name, let arguments):
                blocks.append(["type": "toolCall", "id": .string(id), "name": .string(name), "arguments": arguments])
            case .other:
                continue
            }
        }
        var row: [String: JSONValue] = ["role": .string(message.role), "content": .array(blocks), "timestamp": .int64(event.createdAtMilliseconds),
                                        "seq": .int64(event.seq)]
        if let id = message.toolCallId { row["toolCallId"] = .string(id) }
        if let name = message.toolName { row["toolName"] = .string(name) }
        if let isError = message.isError { row["isError"] = .bool(isError) }
        if let stopReason = message.stopReason { row["stopReason"] = .string(stopReason) }
        return .object(row)
    }

    func sessionsList(_ params: Params) async throws -> MethodReply {
        try params.only(["limit", "activeMinutes", "includeGlobal", "includeUnknown", "includeLastMessage", "agentId", "search", "offset"])
        let limit = try params.int("limit", in: 1...100_000)
        let activeMinutes = try params.int("activeMinutes", in: 1...10_000_000)
        let search = try params.string("search")?.lowercased()
        let agents = try params.string("agentId") == nil ? try await agentIDs() : [try await servedAgent(try params.string("agentId"), method: params.method)]
        let host = self.host
        var summaries: [SessionSummary] = []
        for agent in agents {
            let runtime = try await host.runtime(for: agent)
            summaries += try await host.offThread { try runtime.sessions.list() }
        }
        let now = RuntimeClock.milliseconds()
        summaries = summaries.filter { summary in
            (activeMinutes.map { now - summary.updatedAtMilliseconds <= Int64($0) * 60_000 } ?? true)
                && (search.map { summary.key.value.lowercased().contains($0) } ?? true)
        }.sorted { $0.updatedAtMilliseconds > $1.updatedAtMilliseconds }
        let total = summaries.count
        if let limit { summaries = Array(summaries.prefix(limit)) }
        let defaultModel = try await mainDefaultModel()
        return .payload([
            "ts": .int64(now), "path": .string(host.state.root), "count": .int(summaries.count), "totalCount": .int(total),
            "hasMore": .bool(summaries.count < total),
            "defaults": ["modelProvider": defaultModel.map { .string($0.provider) } ?? .null, "model": defaultModel.map { .string($0.model) } ?? .null,
                         "contextTokens": .null],
            "sessions": .array(summaries.map(sessionRow)),
        ])
    }

    /// The last `limit` messages of `key`'s current transcript, or `nil` when the key has no session.
    func recentMessages(_ key: SessionKey, limit: Int, after: Int64 = -1) async throws -> (summary: SessionSummary, messages: [JSONValue])? {
        let host = self.host
        let runtime = try await host.runtime(for: key.agent)
        return try await host.offThread {
            guard let summary = try runtime.sessions.session(key) else { return nil }
            let events = try runtime.sessions.events(summary.sessionID, after: after, types: ["message"])
            return (summary, events.suffix(limit).compactMap(Self.historyRow))
        }
    }

    func sessionsPreview(_ params: Params) async throws -> MethodReply {
        try params.only(["keys", "limit", "maxChars"])
        guard let keys = try params.strings("keys"), (1...64).contains(keys.count) else { throw params.fail("keys must hold 1 to 64 session keys") }
        let limit = try params.int("limit", in: 1...200) ?? 12
        let maxChars = try params.int("maxChars", in: 20...100_000) ?? 240
        var previews: [JSONValue] = []
        for raw in keys {
            guard let key = try? await sessionKey(raw, method: params.method) else {
                previews.append(["key": .string(raw), "status": "missing", "items": []])
                continue
            }
            do {
                guard let found = try await recentMessages(key, limit: limit) else {
                    previews.append(["key": .string(key.value), "status": "missing", "items": []])
                    continue
                }
                let items: [JSONValue] = found.messages.compactMap { row in
                    let text = (row["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
                    guard !text.isEmpty else { return nil }
                    return ["role": row["role"] ?? "assistant", "text": .string(text.count > maxChars ? String(text.prefix(maxChars)) + "…" : text)]
                }
                previews.append(["key": .string(key.value), "status": items.isEmpty ? "empty" : "ok", "items": .array(items)])
            } catch {
                previews.append(["key": .string(key.value), "status": "error", "items": [], "error": .string(GatewayError.wrap(error).message)])
            }
        }
        return .payload(["ts": .int64(RuntimeClock.milliseconds()), "previews": .array(previews)])
    }

    func sessionsResolve(_ params: Params) async throws -> MethodReply {
        try params.only(["key", "sessionKey", "sessionId", "label", "agentId", "spawnedBy", "includeGlobal", "includeUnknown"])
        let host = self.host
        if let raw = try params.string("key") ?? params.string("sessionKey") {
            let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
            let runtime = try await host.runtime(for: key.agent)
            guard try await host.offThread({ try runtime.sessions.session(key) }) != nil else {
                throw GatewayError(.invalidRequest, "no session matches \(raw.debugDescription)")
            }
            return .payload(["ok": true, "key": .string(key.value)])
        }
        if let sessionID = try params.string("sessionId") {
            for agent in try await agentIDs() {
                let runtime = try await host.runtime(for: agent)
                if let match = try await host.offThread({ try runtime.sessions.list().first { $0.sessionID == sessionID } }) {
                    return .payload(["ok": true, "key": .string(match.key.value)])
                }
            }
            throw GatewayError(.invalidRequest, "no session has session id \(sessionID.debugDescription)")
        }
        if let label = try params.string("label") {
            let agents = try params.string("agentId") != nil ? [try await servedAgent(try params.string("agentId"), method: params.method)] : try await agentIDs()
            for agent in agents {
                let runtime = try await host.runtime(for: agent)
                if let match = try await host.offThread({ try runtime.sessions.list().first { $0.label == label } }) {
                    return .payload(["ok": true, "key": .string(match.key.value)])
                }
            }
            throw GatewayError(.invalidRequest, "no session has label \(label.debugDescription)")
        }
        throw params.fail("key, sessionId or label is required")
    }

    /// `sessions.patch {key, label?, model?}`: `null` clears a field; a model must be in the catalog.
    func sessionsPatch(_ params: Params) async throws -> MethodReply {
        try params.only(["key", "sessionKey", "label", "model", "agentId"])
        guard let raw = try params.string("key") ?? params.string("sessionKey") else { throw params.fail("key is required") }
        let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
        func patch<Value>(_ name: String, _ make: (String) throws -> Value) throws -> FieldPatch<Value> {
            switch params.values[name] {
            case nil: return .keep
            case .null?: return .clear
            case .string(let text)?: return .set(try make(text))
            default: throw params.fail("\(name) must be a string or null")
            }
        }
        let label = try patch("label") { $0 }
        let model = try patch("model") { text -> ModelReference in
            do { return try ModelReference(text) } catch { throw params.fail("model must be provider/model") }
        }
        let host = self.host
        let runtime = try await host.runtime(for: key.agent)
        let summary = try await host.offThread {
            if case .set(let reference) = model { _ = try runtime.resolveModel(reference) }
            return try runtime.sessions.patch(key, label: label, model: model)
        }
        sessionsChanged(key, reason: "patch")
        let resolved = summary.modelOverride.flatMap { try? ModelReference($0) }
        var payload: [String: JSONValue] = ["ok": true, "key": .string(key.value), "entry": sessionRow(summary)]
        if let resolved { payload["resolved"] = ["modelProvider": .string(resolved.provider), "model": .string(resolved.model)] }
        return .payload(.object(payload))
    }

    func sessionsGet(_ params: Params) async throws -> MethodReply {
        try params.only(["key", "sessionKey", "limit", "agentId"])
        guard let raw = try params.string("key") ?? params.string("sessionKey") else { throw params.fail("key is required") }
        let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
        let limit = try params.int("limit", in: 1...1000) ?? 200
        guard let found = try await recentMessages(key, limit: limit) else { throw GatewayError(.invalidRequest, "no session \(key)") }
        return .payload(["key": .string(key.value), "entry": sessionRow(found.summary), "messages": .array(found.messages)])
    }

    func sessionsReset(_ params: Params) async throws -> MethodReply {
        try params.only(["key", "sessionKey", "reason", "agentId"])
        guard let raw = try params.string("key") ?? params.string("sessionKey") else { throw params.fail("key is required") }
        let reason = try params.string("reason") ?? "reset"
        guard reason == "reset" || reason == "new" else { throw params.fail("reason must be \"new\" or \"reset\"") }
        let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
        let host = self.host
        let runtime = try await host.runtime(for: key.agent)
        let summary = try await host.offThread {
            if try runtime.sessions.session(key) == nil { return try runtime.sessions.openSession(key) }
            return try runtime.sessions.reset(key, note: reason == "new" ? "new" : nil).session
        }
        sessionsChanged(key, reason: "reset")
        return .payload(["ok": true, "key": .string(key.value), "entry": sessionRow(summary)])
    }

    func sessionsDelete(_ params: Params) async throws -> MethodReply {
        try params.only(["key", "sessionKey", "deleteTranscript", "agentId"])
        guard let raw = try params.string("key") ?? params.string("sessionKey") else { throw params.fail("key is required") }
        let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
        guard key != .main(key.agent) else { throw GatewayError(.invalidRequest, "the main session \(key) cannot be deleted; reset it instead") }
        guard try params.bool("deleteTranscript") ?? true else {
            throw params.fail("deleteTranscript false is not served: a session's transcript is deleted with it (sessions.reset keeps it)")
        }
        guard runs.active(in: key).isEmpty else { throw GatewayError(.invalidRequest, "session \(key) has a run in flight; abort it first") }
        let host = self.host
        let runtime = try await host.runtime(for: key.agent)
        let events = try await host.offThread { try runtime.sessions.delete(key) }
        sessionsChanged(key, reason: "delete")
        return .payload(["ok": true, "key": .string(key.value), "deleted": true, "deletedEvents": .int(events), "archived": []])
    }
}
