import Foundation
import VFS

/// The `sessions_spawn` tool: runs a task in a child session with its own `run:<runId>`
/// namespace, seeded with the attachments, and returns the child's answer.
struct SubagentSpawner: Sendable {
    let runtime: AgentRuntime

    static let definition = ToolDefinition(
        name: "sessions_spawn",
        description: "Run a self-contained task in a subagent with its own empty workspace. Files it needs go in attachments; its final answer is returned.",
        parameters: [
            "type": "object", "required": ["task"],
            "properties": [
                "task": ["type": "string", "description": "What the subagent should do"],
                "label": ["type": "string"],
                "attachments": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["name", "content"],
                        "properties": [
                            "name": ["type": "string"], "content": ["type": "string"],
                            "encoding": ["type": "string", "enum": ["utf8", "base64"]], "mimeType": ["type": "string"],
                        ],
                    ],
                ],
            ],
        ])

    static let maxTaskBytes = 64 * 1024

    func spawn(_ call: ToolCall, parent: AgentRuntime.RunContext, parentSessionID: String, sink: RunEventSink) async -> ToolOutcome {
        let task: String
        let label: String?
        let attachments: [PreparedAttachment]
        do {
            let arguments = try ToolArguments(tool: call.name, json: call.argumentsJSON)
            task = try arguments.string("task")
            label = try arguments.optionalString("label")
            guard !task.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, task.utf8.count <= Self.maxTaskBytes else {
                return .failure("sessions_spawn: task must be 1 to \(Self.maxTaskBytes) bytes", ["status": "error"])
            }
            attachments = try SubagentAttachments.prepare(arguments.object["attachments"], limits: runtime.configuration.attachmentLimits)
        } catch let error as ToolArgumentError {
            return .failure(error.message, ["status": "error"])
        } catch {
            return .failure("sessions_spawn: \(AgentRuntimeError.wrap(error).message)", ["status": "error"])
        }

        let runID = RuntimeClock.uuid()
        let childKey = SessionKey.subagent(runtime.agent, id: RuntimeClock.uuid())
        let namespace = "run:\(runID)"
        var details: [String: JSONValue] = ["runId": .string(runID), "childSessionKey": .string(childKey.value), "namespace": .string(namespace),
                                            "attachments": .int(attachments.count)]
        var note: String?
        var runLog = runtime.runLog
        runLog.secrets = parent.secrets ?? []
        let log = runLog
        do {
            // The run log and the child's namespace are written off the concurrency threads.
            let directory = try await BlockingWork.storage { [self] in
                try log.start(runID: runID, agent: runtime.agent.value, parentKey: parent.key, parentSessionID: parentSessionID, childKey: childKey,
                              namespace: namespace, task: task, label: label, attachments: attachments)
                let directory = try seed(attachments, namespace: namespace)
                if directory == nil { _ = try runtime.fileSystem.createNamespace(namespace) }
                return directory
            }
            if let directory {
                note = SystemPrompt.attachmentNote(count: attachments.count, totalBytes: attachments.reduce(0) { $0 + $1.content.count }, directory: directory)
                details["attachmentsPath"] = .string(directory)
            }
        } catch {
            await finish(log, runID: runID, childSessionID: nil, status: "failed", error: AgentRuntimeError.wrap(error).message)
            details["status"] = "error"
            return .failure("sessions_spawn: \(AgentRuntimeError.wrap(error).message)", details)
        }

        let context = AgentRuntime.RunContext(key: childKey, namespace: namespace, depth: parent.depth + 1, attachmentNote: note,
                                              model: parent.model, maxTurns: parent.maxTurns, stream: false, idempotencyKey: nil, runID: runID,
                                              rootRunID: parent.rootRunID ?? parent.runID, credentials: parent.credentials, secrets: parent.secrets)
        // The child's events go to the parent's stream under the child's run id.
        switch await runtime.execute(context, message: task, sink: sink.child(runID: runID, sessionKey: childKey)) {
        case .success(let result):
            await finish(log, runID: runID, childSessionID: result.sessionID, status: "completed", error: nil)
            details["status"] = "ok"
            details["childSessionId"] = .string(result.sessionID)
            details["turns"] = .int(result.turns)
            return .success(result.text.isEmpty ? "(the subagent finished without an answer)" : result.text, details)
        case .failure(let failure):
            let sessions = runtime.sessions
            let childSession = try? await BlockingWork.storage { try sessions.session(childKey)?.sessionID }
            await finish(log, runID: runID, childSessionID: childSession ?? nil, status: failure.code == .aborted ? "aborted" : "failed", error: failure.message)
            details["status"] = "error"
            return .failure("sessions_spawn: the subagent failed: \(failure.message)", details)
        }
    }

    /// Records the child run's end in the run log, off the concurrency threads and even when the
    /// parent is being aborted.
    private func finish(_ log: SubagentRunLog, runID: String, childSessionID: String?, status: String, error: String?) async {
        _ = try? await Task { try await BlockingWork.storage { try log.finish(runID: runID, childSessionID: childSessionID, status: status, error: error) } }.value
    }

    /// Writes the attachments and their manifest into the child's namespace in one transaction.
    /// Returns the directory, or `nil` when there are none.
    private func seed(_ attachments: [PreparedAttachment], namespace: String) throws -> String? {
        guard !attachments.isEmpty else { return nil }
        let directory = "\(SubagentAttachments.root)/\(RuntimeClock.uuid())"
        let target = try runtime.fileSystem.namespace(namespace)
        let files: [JSONValue] = attachments.map { ["name": .string($0.name), "bytes": .int($0.content.count), "sha256": .string($0.sha256)] }
        let manifest: JSONValue = ["relDir": .string(String(directory.dropFirst())), "count": .int(attachments.count),
                                   "totalBytes": .int(attachments.reduce(0) { $0 + $1.content.count }), "files": .array(files)]
        try runtime.fileSystem.transaction { _ in
            for attachment in attachments {
                var metadata: JSONValue = ["source": "subagent-attachment", "name": .string(attachment.name), "sha256": .string(attachment.sha256)]
                if let type = attachment.mimeType, case .object(var fields) = metadata {
                    fields["mimeType"] = .string(type)
                    metadata = .object(fields)
                }
                _ = try target.writeFile("\(directory)/\(attachment.name)", contents: attachment.content,
                                         options: WriteOptions(mode: 0o444, metadataJSON: metadata.jsonText))
            }
            _ = try target.writeFile("\(directory)/\(SubagentAttachments.manifestName)", contents: manifest.encoded(), options: WriteOptions(mode: 0o444))
        }
        return directory
    }
}
