import AgentRuntime
import Foundation
import Replication
import StateStore

/// `agents.adopt`, `agents.release` and `agents.where`: placing agents on gateways.
extension Gateway {
    private func placedAgent(_ params: Params) throws -> AgentID {
        guard let raw = try params.string("agentId") else { throw params.fail("agentId is required") }
        guard let agent = try? AgentID(raw) else { throw GatewayError.invalidParams(params.method, "agentId \(raw.debugDescription) is not an agent id") }
        return agent
    }

    /// `agents.adopt {agentId}`: take the lease, restore the agent from the replica, serve it.
    func agentsAdopt(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId"])
        let agent = try placedAgent(params)
        guard !isDraining else { throw Self.stopping }
        let adoption = try await adopt(agent, explicitly: true)
        return .payload(["ok": true, "agentId": .string(agent.value), "source": .string(adoption.source), "bytes": .int64(adoption.bytes),
                         "durationMs": .int64(adoption.milliseconds), "owner": .optional(replication?.settings.hostID)])
    }

    /// `agents.release {agentId}`: finish or abort its runs, sync, archive, release the lease.
    func agentsRelease(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId"])
        let agent = try placedAgent(params)
        let release = try await release(agent)
        return .payload(["ok": true, "agentId": .string(agent.value), "archive": .optional(release.archive),
                         "replicaTxid": release.replicaTXID.map(JSONValue.int64) ?? .null, "durationMs": .int64(release.milliseconds)])
    }

    /// `agents.delete {agentId}`: stop the agent, archive its files here, delete its replica and lease.
    func agentsDelete(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId"])
        let agent = try placedAgent(params)
        guard agent != .main else { throw GatewayError.invalidParams(params.method, "the main agent cannot be deleted") }
        let archive = try await delete(agent)
        return .payload(["ok": true, "agentId": .string(agent.value), "archive": .optional(archive), "replicaDeleted": .bool(replication != nil)])
    }

    /// `agents.where {agentId}`: the lease as stored (owner, URL, expiry) and whether it is held here.
    func agentsWhere(_ params: Params) async throws -> MethodReply {
        try params.only(["agentId"])
        let agent = try placedAgent(params)
        guard let replication else {
            return .payload(["agentId": .string(agent.value), "replicating": false, "servedHere": true])
        }
        let lease: Lease?
        do { lease = try await replication.placement.lease(of: agent.value)?.lease } catch { throw Self.placementError(error) }
        return .payload(Self.whereAnswer(agent: agent.value, lease: lease, servedHere: replication.placement.holds(agent.value)))
    }

    public static func whereAnswer(agent: String, lease: Lease?, servedHere: Bool) -> JSONValue {
        let now = RuntimeClock.milliseconds()
        let live = lease?.isLive(at: now) ?? false
        return ["agentId": .string(agent), "replicating": true, "servedHere": .bool(servedHere),
                "owner": live ? .optional(lease?.owner) : .null, "url": live ? .optional(lease?.url) : .null,
                "expiresAt": lease.map { .int64($0.expiresAt) } ?? .null, "state": .string(lease == nil ? "free" : live ? "held" : (lease?.expiresAt == 0 ? "released" : "expired"))]
    }
}
