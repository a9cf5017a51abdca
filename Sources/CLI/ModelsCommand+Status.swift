import AgentRuntime
import ArgumentParser
import Foundation

extension ModelsCommand {
    /// `openclaw models status`: which credentials each provider would use, masked.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the credentials of each provider (masked) and, with --probe, try them.",
            discussion: """
                The providers checked are the default model's, or every provider of the catalog when the agent has no default. \
                --check exits 1 when a checked provider has no usable credential (missing or expired) and 2 when the first \
                credential of one expires within 24 hours. --probe sends a one-token request with every credential; it exits 1 \
                when a checked provider has no credential that works.
                """
        )

        @OptionGroup var options: AgentOptions
        @Flag(name: .long, help: "Exit 1 when a credential is missing or expired, 2 when one is expiring.") var check = false
        @Flag(name: .long, help: "Try every credential with a one-token request.") var probe = false
        @Option(name: .long, help: ArgumentHelp("Probe only this provider.", valueName: "id")) var probeProvider: String?
        @OptionGroup var output: JSONFlag

        static let expiringWindowMilliseconds: Int64 = 24 * 3_600_000

        func run() async throws {
            let runtime = try options.runtime()
            let catalog = try runtime.catalog.providers()
            let defaultModel = try runtime.settings.defaultModel()
            var checked = defaultModel.map { reference in catalog.filter { $0.id == reference.provider } } ?? catalog
            if let defaultModel, checked.isEmpty {
                throw CLIFailure(message: "the default model \(defaultModel) names provider '\(defaultModel.provider)', which is not in the catalog")
            }
            if let probeProvider { checked = checked.filter { $0.id == probeProvider } }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var missing = false
            var expiring = false
            var probeFailed = false
            var providerObjects: [[String: Any]] = []
            var text = "Agent \(runtime.agent), default model \(defaultModel?.description ?? "(none)")\n"
            if checked.isEmpty {
                text += probeProvider.map { "Provider '\($0)' is not among the checked providers.\n" } ?? "No providers in the catalog.\n"
                missing = true
            }
            for provider in checked {
                let (usable, skipped) = try await runtime.credentials(provider: provider.id, model: defaultModel?.model)
                var status = "ok"
                if usable.isEmpty {
                    status = skipped.contains { $0.reason == "expired" } ? "expired" : "missing"
                    missing = true
                } else if let expires = usable[0].expiresAtMilliseconds, expires - now < Self.expiringWindowMilliseconds {
                    status = "expiring"
                    expiring = true
                }
                var rows: [[String: Any]] = []
                text += "\n\(provider.id) (\(provider.api.rawValue), \(provider.baseURL)): \(status)\n"
                let model = defaultModel?.provider == provider.id ? provider.models.first { $0.id == defaultModel?.model } : provider.models.first
                var anyWorks = false
                for credential in usable {
                    var row: [String: Any] = ["label": credential.label, "type": credential.kind.rawValue, "masked": credential.masked,
                                              "source": credential.profileID == nil ? "env" : "profile"]
                    if let expires = credential.expiresAtMilliseconds { row["expiresAtMs"] = expires }
                    var line = "  \(credential.label)\t\(credential.kind.rawValue)\t\(credential.masked)"
                    if let expires = credential.expiresAtMilliseconds { line += "\texpires \(RuntimeFormatting.time(expires))" }
                    if probe {
                        if let model {
                            let failure = await runtime.probe(provider: provider, model: model, credential: credential)
                            row["probe"] = failure.map { ["status": $0.code.rawValue, "message": $0.message] } ?? ["status": "ok"]
                            line += "\tprobe: " + (failure.map { "\($0.code.rawValue): \($0.message)" } ?? "ok")
                            if failure == nil { anyWorks = true }
                        } else {
                            row["probe"] = ["status": "no_model", "message": "the catalog has no model for \(provider.id)"]
                            line += "\tprobe: no_model"
                        }
                    }
                    rows.append(row)
                    text += line + "\n"
                }
                for skip in skipped {
                    rows.append(["label": skip.label, "status": skip.reason, "detail": skip.detail])
                    text += "  \(skip.label)\t\(skip.reason)\t\(skip.detail)\n"
                }
                if usable.isEmpty { text += "  no credentials: set \(RuntimeEnvironment.prefix(of: provider.id))_API_KEY or run `openclaw models auth paste-token --provider \(provider.id) --type api_key`\n" }
                if probe, !anyWorks { probeFailed = true }
                providerObjects.append(["id": provider.id, "api": provider.api.rawValue, "baseUrl": provider.baseURL, "status": status, "credentials": rows])
            }
            if output.json {
                Output.json(["agentId": runtime.agent.value, "defaultModel": defaultModel?.description as Any? ?? NSNull(), "providers": providerObjects])
            } else {
                Output.write(text)
            }
            // Missing or expired outranks expiring, whatever the order of the providers.
            if check, missing { throw ExitCode(ExitStatus.failure) }
            if probe, probeFailed || missing { throw ExitCode(ExitStatus.failure) }
            if check, expiring { throw ExitCode(2) }
        }

    }
}
