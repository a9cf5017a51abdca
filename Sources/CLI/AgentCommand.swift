import AgentRuntime
import ArgumentParser
import Foundation
import Gateway
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `openclaw agent -m TEXT`: one agent run.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent on one message; its answer streams to standard output.",
        discussion: """
            Tool activity goes to standard error. Ctrl-C aborts the run (recorded in the transcript; exit 130). \
            When a gateway serves the state directory (`openclaw gateway run`), the run goes through it, so the runs of a session \
            queue in one place and its clients see them; --local (or --model, --max-turns, --no-stream) runs in this process. \
            With --json nothing streams: one JSON object with the answer, session, usage and run id is printed at the end.
            """
    )

    @OptionGroup var options: AgentOptions

    @Option(name: [.short, .customLong("message")], help: "The message.")
    var message: String

    @Option(name: .long, help: ArgumentHelp("The session key (default agent:<agent>:main); a bare name is a key of --agent.", valueName: "key"))
    var session: String?

    @Option(name: .long, help: ArgumentHelp("The model, provider/model (default: the agent's default model).", valueName: "provider/model"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("The most model turns (default 16).", valueName: "n"))
    var maxTurns: Int?

    @Option(name: .long, help: ArgumentHelp("A key for this message: repeating it runs nothing again; it prints the recorded answer (or fails as the run did), or fails with in_flight while the run has not ended.", valueName: "key"))
    var idempotencyKey: String?

    @Flag(name: .long, help: "Ask the provider for one complete answer instead of a stream.")
    var noStream = false

    @Flag(name: .long, help: "Run in this process even when a gateway serves the state directory.")
    var local = false

    @OptionGroup var output: JSONFlag

    func validate() throws {
        if let maxTurns, !(1...1000).contains(maxTurns) { throw ValidationError("--max-turns must be between 1 and 1000") }
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the message (-m) is empty") }
    }

    func run() async throws {
        let state = options.stateOptions.directory()
        if !local, let gateway = GatewayDiscovery.read(in: state) {
            let only = optionsOnlyLocal
            guard !only.isEmpty else { return try await run(through: gateway, state: state) }
            Output.error("openclaw: \(only.joined(separator: ", ")) cannot go through the gateway (pid \(gateway.pid)): running in this process")
        }
        let runtime = try options.runtime()
        let request = AgentRunRequest(message: message, sessionKey: try session.map(options.sessionKey),
                                      model: try model.map(ModelReference.init), maxTurns: maxTurns, stream: !noStream && !output.json,
                                      idempotencyKey: idempotencyKey)
        let json = output.json
        let endsWithNewline = LockedFlag()
        let run = try await runtime.run(request)
        // The first Ctrl-C aborts the run, which records its end; the events then run out.
        let interrupt = InterruptHandler { runtime.abort(runID: run.runID) }
        defer { interrupt.stop() }
        let runID = run.runID
        do {
            let result = try await run.result { event in
                guard !json else { return }
                switch event.payload {
                case .text(let text) where event.runID == runID:
                    Output.write(text)
                    endsWithNewline.set(text.hasSuffix("\n"))
                case .completed(let text, _, _, _) where event.runID == runID && run.disposition == .finished:
                    // A repeated idempotency key: the recorded answer.
                    Output.write(text)
                    endsWithNewline.set(text.hasSuffix("\n"))
                case .toolCall(let call):
                    if !endsWithNewline.value { Output.write("\n"); endsWithNewline.set(true) }
                    Output.error("[\(call.name)] \(Self.summary(call.argumentsJSON))")
                case .rateLimited(let credential):
                    if !endsWithNewline.value { Output.write("\n"); endsWithNewline.set(true) }
                    Output.error("[rate limited: \(credential)]")
                case .toolResult(let call, let outcome) where outcome.isError:
                    Output.error("[\(call.name) failed] \(outcome.text.prefix(300))")
                default: break
                }
            }
            if json {
                Output.json([
                    "runId": result.runID, "sessionKey": result.sessionKey.value, "sessionId": result.sessionID, "model": result.model.description,
                    "text": result.text, "turns": result.turns, "toolCalls": result.toolCalls,
                    "usage": ["input": result.usage.inputTokens, "output": result.usage.outputTokens],
                    "repeated": run.disposition == .finished,
                ])
            } else if !endsWithNewline.value {
                Output.write("\n")
            }
        } catch let error as AgentRuntimeError where error.code == .aborted {
            if !json, !endsWithNewline.value { Output.write("\n") }
            throw CLIFailure(message: "aborted; the transcript records the run as aborted", status: 130)
        }
    }

    /// A short rendering of tool arguments for the activity line.
    static func summary(_ argumentsJSON: String) -> String {
        guard let object = (try? JSONValue.parse(argumentsJSON))?.objectValue else { return String(argumentsJSON.prefix(120)) }
        let preferred = ["path", "pattern", "task"].compactMap { name in object[name]?.stringValue.map { "\(name)=\($0)" } }
        let text = preferred.isEmpty ? argumentsJSON : preferred.joined(separator: " ")
        return String(text.prefix(160))
    }
}

/// A Boolean shared with the event callback.
final class LockedFlag: Sendable {
    private let stored = Mutex(true)
    var value: Bool { stored.withLock { $0 } }
    func set(_ value: Bool) { stored.withLock { $0 = value } }
}

/// Calls `action` on the first SIGINT or SIGTERM instead of dying, so a run can record its abort;
/// a second signal has its default effect.
final class InterruptHandler: @unchecked Sendable {
    // @unchecked: the sources are created in init and only cancelled afterwards.
    private var sources: [any DispatchSourceSignal] = []

    init(_ action: @escaping @Sendable () -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            // The first signal aborts the run (recorded); a second one ends the process at once.
            source.setEventHandler {
                action()
                signal(signalNumber, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
