import AgentRuntime
import Foundation
import Gateway
import StateStore
import Synchronization

/// `openclaw agent` through the gateway that serves the state directory, so that the runs of a
/// session queue in one place: the same output as a run in process.
extension AgentCommand {
    /// Options a gateway run cannot carry (the run then happens in this process).
    var optionsOnlyLocal: [String] {
        [model.map { _ in "--model" }, maxTurns.map { _ in "--max-turns" }, noStream ? "--no-stream" : nil].compactMap { $0 }
    }

    func run(through gateway: GatewayDiscovery, state: StateDirectory) async throws {
        guard let token = try? GatewayToken.existing(state: state) else {
            throw CLIFailure(message: "a gateway serves \(state.root) at \(gateway.url), but its token is not readable here (set OPENCLAW_GATEWAY_TOKEN, or use --local)")
        }
        let agent = try options.agentID()
        let key = try session.map(options.sessionKey) ?? SessionKey.main(agent)
        let runID = idempotencyKey ?? "cli-" + RuntimeClock.uuid()
        let json = output.json
        var identity = GatewayClient.Identity()
        identity.caps = ["tool-events"]
        let request: JSONValue = ["message": .string(message), "idempotencyKey": .string(runID), "sessionKey": .string(key.value), "agentId": .string(agent.value)]
        let final: (outcome: JSONValue, repeated: Bool)
        let streamed = LockedFlag()
        streamed.set(false)
        let endsWithNewline = LockedFlag()
        do {
            final = try await GatewayClient.connect(url: gateway.url, token: token.value, identity: identity, tls: try gateway.clientTLS()) { session in
                // The first Ctrl-C aborts the run in the gateway (recorded); a second one ends this process.
                let interrupt = InterruptHandler {
                    Task { _ = try? await session.call("chat.abort", params: ["sessionKey": .string(key.value), "runId": .string(runID)]) }
                }
                defer { interrupt.stop() }
                let printer = Task {
                    for await event in session.events {
                        guard event.payload["runId"]?.stringValue == runID || event.payload["spawnedBy"] != nil else { continue }
                        if Self.show(event, runID: runID, json: json, streamed: streamed, endsWithNewline: endsWithNewline) { return }
                    }
                }
                let frames = try await session.send("agent", params: request, responses: 2)
                guard let first = frames.first, first["ok"] == .bool(true) else {
                    printer.cancel()
                    throw GatewaySession.error(frames.first?["error"])
                }
                // Events come before the outcome on the socket; a repeated key has none.
                let repeated = first["payload"]?["repeated"] == .bool(true)
                if repeated { printer.cancel() } else { await printer.value }
                guard frames.count == 2, frames[1]["ok"] == .bool(true), let outcome = frames[1]["payload"] else {
                    throw GatewaySession.error(frames.last?["error"])
                }
                return (outcome, repeated)
            }
        } catch let error as GatewayError {
            throw CLIFailure(message: error.message, status: error.details["code"]?.stringValue == AgentRuntimeError.Code.invalidArgument.rawValue
                             ? ExitStatus.usage : ExitStatus.failure)
        } catch let error as GatewayClientError {
            throw CLIFailure(message: "\(error.message) (a gateway, pid \(gateway.pid), serves this state directory; --local runs in this process)")
        }
        try report(final.outcome, repeated: final.repeated, runID: runID, key: key, streamed: streamed.value, endsWithNewline: endsWithNewline)
    }

    /// Prints one event of the run as the in-process run does; `true` at the run's end.
    private static func show(_ event: GatewaySession.Event, runID: String, json: Bool, streamed: LockedFlag, endsWithNewline: LockedFlag) -> Bool {
        let payload = event.payload
        switch (event.name, payload["state"]?.stringValue, payload["stream"]?.stringValue) {
        case ("chat", "delta", _):
            guard !json, let text = payload["deltaText"]?.stringValue else { return false }
            Output.write(text)
            streamed.set(true)
            endsWithNewline.set(text.hasSuffix("\n"))
        case ("chat", _, _):
            return payload["runId"]?.stringValue == runID
        case ("agent", _, "tool"):
            guard !json, let name = payload["data"]?["name"]?.stringValue else { return false }
            if payload["data"]?["phase"] == "start" {
                if !endsWithNewline.value { Output.write("\n"); endsWithNewline.set(true) }
                Output.error("[\(name)] \(summary(payload["data"]?["args"]?.jsonText ?? "{}"))")
            } else if payload["data"]?["isError"] == true {
                Output.error("[\(name) failed] \((payload["data"]?["result"]?.stringValue ?? "").prefix(300))")
            }
        default:
            break
        }
        return false
    }

    /// The outcome, printed as the in-process run prints it (exit 130 when aborted).
    private func report(_ final: JSONValue, repeated: Bool, runID: String, key: SessionKey, streamed: Bool, endsWithNewline: LockedFlag) throws {
        let text = final["result"]?["payloads"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        let meta = final["result"]?["meta"]?["agentMeta"]
        switch final["status"]?.stringValue {
        case "ok":
            if output.json {
                Output.json([
                    "runId": runID, "sessionKey": key.value, "sessionId": meta?["sessionId"]?.stringValue ?? "", "model": meta?["model"]?.stringValue ?? "",
                    "text": text, "turns": meta?["turns"]?.intValue ?? 0, "toolCalls": meta?["toolCalls"]?.intValue ?? 0,
                    "usage": ["input": meta?["usage"]?["input"]?.intValue ?? 0, "output": meta?["usage"]?["output"]?.intValue ?? 0],
                    "repeated": repeated,
                ] as [String: Any])
                return
            }
            if !streamed {
                Output.write(text)
                endsWithNewline.set(text.hasSuffix("\n"))
            }
            if !endsWithNewline.value { Output.write("\n") }
        default:
            if !output.json, !endsWithNewline.value, streamed { Output.write("\n") }
            if final["stopReason"] == "aborted" {
                throw CLIFailure(message: "aborted; the transcript records the run as aborted", status: 130)
            }
            let code = final["error"]?["code"]?.stringValue.flatMap(AgentRuntimeError.Code.init(rawValue:)) ?? .provider
            throw AgentRuntimeError(code, final["error"]?["message"]?.stringValue ?? final["summary"]?.stringValue ?? "the run failed")
        }
    }
}
