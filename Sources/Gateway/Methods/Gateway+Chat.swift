import AgentRuntime
import Foundation
import StateStore

extension Gateway {
    /// Starts a run of `message` in `key` named by `idempotencyKey`, or answers the key's earlier run.
    /// Past ``GatewayConfiguration/maxRuns`` runs in flight, a new run waits for a slot.
    /// `observer`, when given, gets the events of a run started here, and is finished at its end.
    func startRun(_ message: String, key: SessionKey, idempotencyKey: String, method: String, timeout: Duration?,
                  observer: AsyncStream<AgentRunEvent>.Continuation? = nil) async throws -> (run: AgentRun, status: String) {
        // Once the run is known to the ledger (or cannot start), an `agent.wait` pipelined
        // behind this request may look it up.
        defer {
            if let announcement = RunLedger.announcement, announcement.runID == idempotencyKey { runs.settle(announcement) }
        }
        guard !isDraining else { throw Self.stopping }
        guard AgentRuntime.isValidRunID(idempotencyKey) else {
            throw GatewayError.invalidParams(method, "idempotencyKey must be 1 to 128 letters, digits and . _ : - (it becomes the run id)")
        }
        if let entry = runs.entry(idempotencyKey), entry.sessionKey != key {
            throw GatewayError(.invalidRequest, "idempotencyKey \(idempotencyKey) names a run of another session")
        }
        guard !message.isEmpty, !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GatewayError(.invalidRequest, "message or attachment required")
        }
        guard !message.utf8.contains(0) else { throw GatewayError(.invalidRequest, "message must not contain null bytes") }
        let runtime = try await host.runtime(for: key.agent)
        // A key already known here answers without a slot; the runtime dedupes the rest.
        let needsSlot = runs.entry(idempotencyKey) == nil
        if needsSlot {
            guard await slots.acquire() else { throw Self.stopping }
        }
        let run: AgentRun
        do {
            run = try await runtime.run(AgentRunRequest(message: message, sessionKey: key, stream: true, idempotencyKey: idempotencyKey, runID: idempotencyKey))
        } catch {
            if needsSlot { slots.release() }
            throw error
        }
        if run.disposition != .started {
            if needsSlot { slots.release() }
            observer?.finish()
        }
        switch run.disposition {
        case .started:
            watch(run, observer: observer, timeout: timeout)
            return (run, "started")
        case .inFlight:
            return (run, "in_flight")
        case .finished:
            var outcome = RunLedger.Outcome()
            for await event in run.events where event.runID == run.runID { outcome.absorb(event.payload) }
            runs.record(run.runID, sessionKey: key, outcome)
            let status = switch outcome.status {
            case .ok: "ok"
            case .error: "error"
            case .aborted: "aborted"
            }
            return (run, status)
        }
    }

    static let stopping = GatewayError(.unavailable, "gateway stopping; retry shortly", retryable: true, retryAfterMilliseconds: 1000)

    func chatSend(_ params: Params) async throws -> MethodReply {
        try params.only(["sessionKey", "message", "idempotencyKey", "thinking", "deliver", "attachments", "timeoutMs", "sessionId", "agentId"])
        let raw = try params.string("sessionKey") ?? "main"
        let key = try await sessionKey(raw, agentID: try params.string("agentId"), method: params.method)
        guard let idempotencyKey = try params.string("idempotencyKey") else { throw params.fail("idempotencyKey is required") }
        if let attachments = params.values["attachments"], attachments != .null, attachments != .array([]) {
            throw GatewayError(.invalidRequest, "attachments are not served by this gateway; put files in the workspace instead")
        }
        let message = try params.string("message") ?? ""
        let timeout = try params.int("timeoutMs", in: 1...86_400_000).map { Duration.milliseconds($0) }
        let (run, status) = try await startRun(message, key: key, idempotencyKey: idempotencyKey, method: params.method, timeout: timeout)
        return .payload(["runId": .string(run.runID), "status": .string(status)])
    }

    func chatHistory(_ params: Params) async throws -> MethodReply {
        try params.only(["sessionKey", "limit", "maxChars", "agentId", "cursor"])
        let key = try await sessionKey(try params.string("sessionKey") ?? "main", agentID: try params.string("agentId"), method: params.method)
        let limit = try params.int("limit", in: 1...1000) ?? 200
        var after: Int64 = -1
        var cursorSession: String?
        if let cursor = try params.string("cursor") {
            let parts = cursor.split(separator: ":")
            guard parts.count == 2, let seq = Int64(parts[1]) else { throw params.fail("cursor must be a deltaCursor from an earlier chat.history") }
            cursorSession = String(parts[0])
            after = seq
        }
        let host = self.host
        let runtime = try await host.runtime(for: key.agent)
        let (cursorID, cursorSeq) = (cursorSession, after)
        let found: (summary: SessionSummary, events: [TranscriptEvent])? = try await host.offThread {
            guard let summary = try runtime.sessions.session(key) else { return nil }
            let from = cursorID == nil || cursorID == summary.sessionID ? cursorSeq : -1
            return (summary, try runtime.sessions.events(summary.sessionID, after: from, types: ["message"]))
        }
        let active = runs.active(in: key)
        guard let found else {
            return .payload(["sessionKey": .string(key.value), "sessionId": .null, "messages": [], "kind": cursorSession == nil ? "full" : "reset",
                             "deltaCursor": .null, "sessionInfo": ["hasActiveRun": .bool(!active.isEmpty), "activeRunIds": .array(active.map { .string($0) })]])
        }
        let kind = cursorSession == nil ? "full" : cursorSession == found.summary.sessionID ? "delta" : "reset"
        let messages = found.events.suffix(limit).compactMap(Self.historyRow)
        return .payload([
            "sessionKey": .string(key.value), "sessionId": .string(found.summary.sessionID), "kind": .string(kind), "messages": .array(messages),
            "deltaCursor": .string("\(found.summary.sessionID):\(found.summary.frontier.lastSeq)"),
            "thinkingLevel": "off", "verboseLevel": "off",
            "sessionInfo": ["hasActiveRun": .bool(!active.isEmpty), "activeRunIds": .array(active.map { .string($0) })],
        ])
    }

    func chatAbort(_ params: Params) async throws -> MethodReply {
        try params.only(["sessionKey", "runId", "agentId"])
        let key = try await sessionKey(try params.string("sessionKey") ?? "main", agentID: try params.string("agentId"), method: params.method)
        var targets = runs.active(in: key)
        if let runID = try params.string("runId") {
            if let entry = runs.entry(runID), entry.sessionKey != key { throw GatewayError(.invalidRequest, "runId does not match sessionKey") }
            targets = targets.filter { $0 == runID }
        }
        let aborted = targets.filter { host.abort(runID: $0, reason: "the run was aborted by a client") }
        return .payload(["ok": true, "aborted": .bool(!aborted.isEmpty), "runIds": .array(aborted.map { .string($0) })])
    }

    /// The `agent` method: accepted at once, then a second response with the outcome.
    func agent(_ params: Params) async throws -> MethodReply {
        try params.only(["message", "idempotencyKey", "agentId", "sessionKey", "sessionId", "thinking", "deliver", "timeout", "label", "extraSystemPrompt"])
        guard let message = try params.string("message") else { throw params.fail("message is required") }
        guard let idempotencyKey = try params.string("idempotencyKey") else { throw params.fail("idempotencyKey is required") }
        let agentID = try params.string("agentId")
        let key = try await sessionKey(try params.string("sessionKey") ?? "main", agentID: agentID, method: params.method)
        let timeout = try params.int("timeout", in: 1...86_400).map { Duration.seconds($0) }
        let accepted = RuntimeClock.milliseconds()
        let (run, _) = try await startRun(message, key: key, idempotencyKey: idempotencyKey, method: params.method, timeout: timeout)
        let runs = self.runs
        let runID = run.runID
        // `repeated`: the key's run had ended already; no events follow, only its outcome.
        return .twoPhase(["runId": .string(runID), "sessionKey": .string(key.value), "status": "accepted", "acceptedAt": .int64(accepted),
                          "repeated": .bool(run.disposition == .finished)]) {
            guard let outcome = await runs.wait(runID, timeout: .seconds(86_400)) else {
                return .failure(GatewayError(.agentResultNotFound, "the outcome of run \(runID) is not kept here"))
            }
            var meta: [String: JSONValue] = [
                "durationMs": .int64(max(0, outcome.endedAt - accepted)),
                "agentMeta": ["sessionId": .string(outcome.sessionID), "model": .string(outcome.model), "turns": .int(outcome.turns),
                              "toolCalls": .int(outcome.toolCalls), "usage": RunEventTranslator.usage(outcome.usage)],
            ]
            if outcome.status == .aborted { meta["aborted"] = true }
            let status = outcome.status == .ok ? "ok" : outcome.status == .aborted ? "timeout" : "error"
            var payload: [String: JSONValue] = [
                "runId": .string(runID), "status": .string(status),
                "summary": .string(outcome.status == .ok ? "completed" : outcome.error?.message ?? "aborted"),
                "result": ["payloads": outcome.text.isEmpty ? [] : [["text": .string(outcome.text)]], "meta": .object(meta)],
            ]
            if outcome.status == .aborted { payload["stopReason"] = "aborted" }
            if let error = outcome.error { payload["error"] = ["code": .string(error.code.rawValue), "message": .string(error.message)] }
            return .success(.object(payload))
        }
    }

    func agentWait(_ params: Params) async throws -> MethodReply {
        try params.only(["runId", "timeoutMs"])
        let runID = try params.requiredString("runId")
        let timeout = try params.int("timeoutMs", in: 0...86_400_000) ?? 30_000
        let deadline = ContinuousClock.now + .milliseconds(timeout)
        // A `chat.send` or `agent` of this run read before this request may still be starting it.
        if runs.entry(runID) == nil { await runs.waitForStart(runID, timeout: .milliseconds(timeout)) }
        guard let entry = runs.entry(runID) else {
            throw GatewayError(.agentResultNotFound, "no run \(runID.debugDescription) is known to this gateway")
        }
        var payload: [String: JSONValue] = ["runId": .string(runID), "startedAt": .int64(entry.startedAt)]
        guard let outcome = await runs.wait(runID, timeout: max(.zero, deadline - ContinuousClock.now)) else {
            payload["status"] = "timeout"
            return .payload(.object(payload))
        }
        payload["status"] = outcome.status == .ok ? "ok" : "error"
        payload["endedAt"] = .int64(outcome.endedAt)
        if let error = outcome.error { payload["error"] = .string(error.message) }
        if outcome.status == .aborted { payload["stopReason"] = "aborted" }
        return .payload(.object(payload))
    }
}
