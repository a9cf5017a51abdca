import AgentRuntime
import Foundation
import StateStore

extension Gateway {
    /// The agents this gateway serves: the registered ones, and `main` always.
    func agentIDs() async throws -> [AgentID] {
        if let replication {
            // Placed by leases: the agents whose leases this gateway holds.
            return replication.placement.heldAgents.compactMap { try? AgentID($0) }
        }
        let host = self.host
        let registered = try await host.offThread { try host.registeredAgents().map(\.agent) }
        return Array(Set(registered + [.main])).sorted()
    }

    /// An agent id from params, which must name a served agent.
    func servedAgent(_ raw: String?, method: String) async throws -> AgentID {
        guard let raw else { return .main }
        let agent = try parsedAgent(raw, method: method)
        try await requireServed(agent)
        return agent
    }

    private func parsedAgent(_ raw: String, method: String) throws -> AgentID {
        guard let agent = try? AgentID(raw) else { throw GatewayError.invalidParams(method, "agentId \(raw.debugDescription) is not an agent id") }
        return agent
    }

    /// `main` is always served; another agent must be registered (one read of the registry).
    private func requireServed(_ agent: AgentID) async throws {
        if replication != nil { return try await requirePlaced(agent) }
        if agent == .main { return }
        guard try await agentIDs().contains(agent) else {
            throw GatewayError(.invalidRequest, "unknown agent id \(agent.value.debugDescription)")
        }
    }

    /// A session key from params (`agent:<id>:<rest>`, or a bare `<rest>` of `agentId`), of a served agent.
    func sessionKey(_ raw: String, agentID: String? = nil, method: String) async throws -> SessionKey {
        let agent = try agentID.map { try parsedAgent($0, method: method) } ?? .main
        let key: SessionKey
        do { key = try SessionKey(raw, defaultAgent: agent) } catch {
            throw GatewayError.invalidParams(method, AgentRuntimeError.wrap(error).message)
        }
        if agentID != nil, key.agent != agent {
            throw GatewayError(.invalidRequest, "session key \(key) does not belong to agent \(agent)")
        }
        try await requireServed(key.agent)
        return key
    }

    func health(_ params: Params) async throws -> MethodReply {
        let started = ContinuousClock.now
        let agents = try await agentIDs()
        let host = self.host
        var recent: [JSONValue] = []
        var count = 0
        for agent in agents {
            let runtime = try await host.runtime(for: agent)
            let sessions = try await host.offThread { try runtime.sessions.list() }
            count += sessions.count
            let now = RuntimeClock.milliseconds()
            recent += sessions.prefix(5).map { ["key": .string($0.key.value), "updatedAt": .int64($0.updatedAtMilliseconds), "age": .int64(now - $0.updatedAtMilliseconds)] }
        }
        return .payload([
            "ok": true, "ts": .int64(RuntimeClock.milliseconds()), "durationMs": .int64(Int64((ContinuousClock.now - started) / .milliseconds(1))),
            "channels": [:], "heartbeatSeconds": 0, "defaultAgentId": "main",
            "agents": .array(agents.map { ["agentId": .string($0.value), "isDefault": .bool($0 == .main)] }),
            "sessions": ["path": .string(host.state.root), "count": .int(count), "recent": .array(Array(recent.prefix(10)))],
        ])
    }

    /// OpenClaw's presence list: the gateway itself, then every connected client but one-off
    /// `cli` connections (as OpenClaw, they would crowd the list).
    func presence() -> JSONValue {
        var entries: [JSONValue] = [[
            "instanceId": "gateway", "host": .string(ProcessInfo.processInfo.hostName), "ip": .string(configuration.host),
            "version": .string(configuration.serverVersion), "platform": "linux", "mode": "gateway", "reason": "self",
            "ts": .int64(RuntimeClock.milliseconds() - uptimeMilliseconds),
        ]]
        let clients = connectedClients.filter { $0.mode != "cli" }.sorted { ($0.connectedAt, $0.id) < ($1.connectedAt, $1.id) }
        for client in clients {
            entries.append([
                "instanceId": .string(client.id), "host": .string(client.clientID), "ip": .string(client.peer), "version": .string(client.clientVersion),
                "platform": .string(client.platform), "mode": .string(client.mode), "reason": "connect", "ts": .int64(client.connectedAt),
            ])
        }
        return .array(entries)
    }

    func status(_ params: Params) async throws -> MethodReply {
        var payload: [String: JSONValue] = [
            "ok": true, "version": .string(configuration.serverVersion), "uptimeMs": .int64(uptimeMilliseconds),
            "connections": .int(connectedCount), "runs": ["active": .int(runs.activeCount), "ids": .array(host.activeRunIDs.map { .string($0) })],
            "stateDir": .string(host.state.root), "draining": .bool(isDraining),
        ]
        if let replication {
            // Where the agents go and who serves them; never a credential.
            let daemon = replication.daemon
            payload["replication"] = [
                "replica": .string(replication.settings.replica.description), "hostId": .string(replication.settings.hostID),
                "leaseSeconds": .number(replication.settings.leaseSeconds),
                "agents": .array(replication.placement.heldAgents.map { .string($0) }),
                "litestream": ["pid": .int(Int(daemon.pid)), "starts": .int(daemon.starts), "log": .string(daemon.configuration.logPath)],
            ]
        }
        return .payload(.object(payload))
    }

    func modelsList(_ params: Params) async throws -> MethodReply {
        try params.only(["view", "agentId"])
        let runtime = try await host.runtime(for: try await servedAgent(try params.string("agentId"), method: params.method))
        let providers = try await host.offThread { try runtime.catalog.providers() }
        var models: [JSONValue] = []
        for provider in providers {
            for model in provider.models {
                var entry: [String: JSONValue] = ["id": .string("\(provider.id)/\(model.id)"), "name": .string(model.id), "provider": .string(provider.id)]
                if let window = model.contextWindow { entry["contextWindow"] = .int(window) }
                if let maxTokens = model.maxTokens { entry["maxTokens"] = .int(maxTokens) }
                models.append(.object(entry))
            }
        }
        return .payload(["models": .array(models)])
    }

    func agentsList(_ params: Params) async throws -> MethodReply {
        try params.only([])
        let host = self.host
        var agents: [JSONValue] = []
        for agent in try await agentIDs() {
            let runtime = try await host.runtime(for: agent)
            let model = try await host.offThread { try runtime.settings.defaultModel() }
            var entry: [String: JSONValue] = ["id": .string(agent.value), "workspace": "workspace"]
            if let model { entry["model"] = ["primary": .string(model.description), "fallbacks": []] }
            agents.append(.object(entry))
        }
        return .payload(["defaultId": "main", "mainKey": "main", "scope": "per-sender", "agents": .array(agents)])
    }
}
