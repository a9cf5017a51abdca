import Foundation

/// What to run: one user message in one session.
public struct AgentRunRequest: Sendable {
    /// The user's message.
    public var message: String
    /// The session (default: the agent's main session).
    public var sessionKey: SessionKey?
    /// The model (default: the agent's default model).
    public var model: ModelReference?
    /// The turn limit (default: the runtime's).
    public var maxTurns: Int?
    /// Whether to stream the model's answers.
    public var stream: Bool
    /// A key that makes a repeated request answer with the first one's run instead of running
    /// again: while that run is in flight, its run id; once it ended, its recorded outcome.
    public var idempotencyKey: String?
    /// The run's id (default: a new UUID): 1 to 128 letters, digits and `.` `_` `:` `-`, unique
    /// among the host's runs in flight. A server whose protocol names runs by the client's
    /// idempotency key passes it here.
    public var runID: String?

    /// Creates a request.
    public init(message: String, sessionKey: SessionKey? = nil, model: ModelReference? = nil, maxTurns: Int? = nil, stream: Bool = true,
                idempotencyKey: String? = nil, runID: String? = nil) {
        self.message = message
        self.sessionKey = sessionKey
        self.model = model
        self.maxTurns = maxTurns
        self.stream = stream
        self.idempotencyKey = idempotencyKey
        self.runID = runID
    }
}

/// The outcome of a finished run.
public struct AgentRunResult: Sendable {
    /// The run's id (also in the transcript's `run_start` and `run_end` events).
    public var runID: String
    /// The session.
    public var sessionKey: SessionKey
    /// The session id the run wrote to.
    public var sessionID: String
    /// The model used.
    public var model: ModelReference
    /// The final answer.
    public var text: String
    /// Model turns taken.
    public var turns: Int
    /// Tokens used in all turns.
    public var usage: TokenUsage
    /// Tool calls made.
    public var toolCalls: Int
}

/// A run as `run(_:)` answers it: a new run and its events, or the run an idempotency key already
/// names.
///
/// ```swift
/// let run = try await runtime.run(AgentRunRequest(message: "Summarize notes.md"))
/// for await event in run.events { print(event.type) }
/// ```
/// The run belongs to its host, not to the caller: leaving `events` unread or dropping them does
/// not stop it (abort it by id for that). `events` buffers what the caller has not read yet.
public struct AgentRun: Sendable {
    /// How the request was answered.
    public enum Disposition: Sendable, Equatable {
        /// A new run: `events` streams it to its terminal event.
        case started
        /// The idempotency key's run is still in flight (maybe waiting for its session): nothing
        /// runs again and `events` is empty.
        case inFlight
        /// The idempotency key's run ended before: nothing runs again and `events` holds its
        /// recorded outcome as one terminal event.
        case finished
    }

    /// The run's id (the one of the idempotency key's run unless ``disposition`` is `started`).
    public let runID: String
    /// The session.
    public let sessionKey: SessionKey
    /// How the request was answered.
    public let disposition: Disposition
    /// The events, ending with the run's terminal event (for `started` and `finished`).
    public let events: AsyncStream<AgentRunEvent>
    /// The outcome as the run's sink reports it, when the run is this host's.
    let outcome: RunOutcome?

    init(runID: String, sessionKey: SessionKey, disposition: Disposition, events: AsyncStream<AgentRunEvent>, outcome: RunOutcome? = nil) {
        self.runID = runID
        self.sessionKey = sessionKey
        self.disposition = disposition
        self.events = events
        self.outcome = outcome
    }

    /// Waits for the run's end and returns its outcome, reading none of its events: the waiting
    /// task is woken once, at the end. The events not read yet are dropped from then on (read
    /// ``events`` or call ``result(onEvent:)`` to see them).
    /// - throws: the run's failure as an ``AgentRuntimeError`` (code `aborted` for an abort,
    ///   `in_flight` when the idempotency key's run has not ended).
    public func result() async throws -> AgentRunResult {
        if disposition == .started, let outcome { return try await outcome.value() }
        return try await result(onEvent: { _ in })
    }

    /// Reads the events to the end, calling `onEvent` for each (a subagent's included), and
    /// returns the outcome.
    /// - throws: the run's failure as an ``AgentRuntimeError`` (code `aborted` for an abort,
    ///   `in_flight` when the idempotency key's run has not ended).
    public func result(onEvent: (AgentRunEvent) -> Void) async throws -> AgentRunResult {
        if disposition == .inFlight {
            throw AgentRuntimeError(.inFlight, "the message with this idempotency key is still running as run \(runID); not running it again")
        }
        return try await Self.result(of: events, runID: runID, sessionKey: sessionKey, onEvent: onEvent)
    }

    /// The outcome of run `runID` in `events` (a run's own, or a copy of them such as the gateway's
    /// observers get), calling `onEvent` for each.
    public static func result(of events: AsyncStream<AgentRunEvent>, runID: String, sessionKey: SessionKey,
                              onEvent: (AgentRunEvent) -> Void = { _ in }) async throws -> AgentRunResult {
        var sessionID = ""
        var model: ModelReference?
        for await event in events {
            onEvent(event)
            guard event.runID == runID else { continue }
            if case .started(let id, let reference) = event.payload {
                sessionID = id
                model = reference
            }
            if let ended = outcome(of: event.payload, runID: runID, sessionKey: sessionKey, sessionID: sessionID, model: model) {
                return try ended.get()
            }
        }
        throw AgentRuntimeError(.aborted, "the run ended without an outcome")
    }

    /// The outcome a terminal event reports (`nil` for the others), with what the run's
    /// `started` event said.
    static func outcome(of payload: AgentRunEvent.Payload, runID: String, sessionKey: SessionKey, sessionID: String,
                        model: ModelReference?) -> Result<AgentRunResult, AgentRuntimeError>? {
        switch payload {
        case .completed(let text, let usage, let turns, let toolCalls):
            .success(AgentRunResult(runID: runID, sessionKey: sessionKey, sessionID: sessionID, model: model ?? ModelReference(provider: "", model: ""),
                                    text: text, turns: turns, usage: usage, toolCalls: toolCalls))
        case .failed(let error):
            .failure(error)
        case .aborted(let reason, _):
            .failure(AgentRuntimeError(.aborted, reason))
        default:
            nil
        }
    }
}
