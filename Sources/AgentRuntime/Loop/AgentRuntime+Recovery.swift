import Foundation

extension AgentRuntime {
    /// A run found unended whose process is gone, now ended `interrupted`.
    public struct InterruptedRun: Sendable, Equatable {
        public var sessionKey: SessionKey
        public var runID: String
        /// The process that was running it.
        public var pid: Int32
    }

    /// Ends the runs whose process was killed before they ended: each gets a `run_end` with
    /// status `interrupted` and a reason (a run accepted and not yet started gets its user
    /// message first), so its transcript says how it ended, a repeat of its
    /// idempotency key answers that outcome, and the session takes new runs. Runs of a live
    /// process (this one, or an `openclaw agent` running beside it) are left alone, as are runs
    /// recorded without an owner (before openclaw recorded one), which cannot be told apart.
    public func recoverInterruptedRuns() async throws -> [InterruptedRun] {
        let sessions = self.sessions
        let registry = self.registry
        return try await BlockingWork.storage {
            var interrupted: [InterruptedRun] = []
            let active = Set(registry.activeRunIDs)
            for run in try sessions.unendedRuns() {
                guard let owner = run.start.owner, !owner.isAlive, !active.contains(run.start.runId) else { continue }
                let failure = AgentRuntimeError(.interrupted, "the process running this run (pid \(owner.pid)) ended before the run did")
                _ = try sessions.append(run.session.sessionID, .runEnd(runID: run.start.runId, turns: 0, usage: TokenUsage(), toolCalls: 0, failure: failure))
                interrupted.append(InterruptedRun(sessionKey: run.session.key, runID: run.start.runId, pid: owner.pid))
            }
            // Runs accepted and still waiting for their turn when their process died: their
            // messages go into the transcripts, each ended `interrupted`, oldest first. Which
            // provider a run would have used is not known: every provider's secrets are redacted.
            let pending = try sessions.pendingRuns().filter { !$0.owner.isAlive && !active.contains($0.runID) }
            let secrets = pending.isEmpty ? [] : try self.everyProvidersSecrets()
            for run in pending {
                let failure = AgentRuntimeError(.interrupted, "the process that accepted this run (pid \(run.owner.pid)) ended before the run started")
                try sessions.endPending(run, failure: failure, secrets: secrets)
                interrupted.append(InterruptedRun(sessionKey: run.sessionKey, runID: run.runID, pid: run.owner.pid))
            }
            return interrupted
        }
    }

    /// The secrets of every provider this agent knows: its profiles' and the configured key
    /// variables' values.
    private func everyProvidersSecrets() throws -> [String] {
        let profiles = try authProfiles.profiles()
        let providers = Set(try catalog.providers().map(\.id) + profiles.map(\.provider))
        return Set(providers.flatMap { runSecrets([], provider: $0, profiles: profiles) }).sorted { $0.count > $1.count }
    }
}

extension AgentHost {
    /// ``AgentRuntime/recoverInterruptedRuns()`` for every registered agent: what a gateway does
    /// when it starts, after a `kill -9` left runs in flight.
    public func recoverInterruptedRuns() async throws -> [AgentRuntime.InterruptedRun] {
        let agents = try await offThread { [self] in try registeredAgents().map(\.agent) }
        var interrupted: [AgentRuntime.InterruptedRun] = []
        for agent in Set(agents).sorted() {
            let runtime: AgentRuntime
            do { runtime = try await self.runtime(for: agent) } catch let error as AgentRuntimeError where error.code == .notPlaced {
                // Placed on another host: its runs are that host's to recover.
                continue
            }
            interrupted += try await runtime.recoverInterruptedRuns()
        }
        return interrupted
    }
}
