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

        func run() async throws {
            let runtime = try options.runtime()
            let catalog = try runtime.catalog.providers()
            let defaultModel = try runtime.settings.defaultModel()
            var checked = defaultModel.map { reference in catalog.filter { $0.id == reference.provider } } ?? catalog
            if let defaultModel, checked.isEmpty {
                throw CLIFailure(message: "the default model \(defaultModel) names provider '\(defaultModel.provider)', which is not in the catalog")
            }
            if let probeProvider { checked = checked.filter { $0.id == probeProvider } }
            var missing = false
            var expiring = false
            var probeFailed = false
            var statuses: [ProviderCredentialStatus] = []
            var text = "Agent \(runtime.agent), default model \(defaultModel?.description ?? "(none)")\n"
            if checked.isEmpty {
                text += probeProvider.map { "Provider '\($0)' is not among the checked providers.\n" } ?? "No providers in the catalog.\n"
                missing = true
            }
            for provider in checked {
                var (status, usable) = try await runtime.credentialStatus(of: provider, model: defaultModel?.model)
                missing = missing || status.isUnusable
                expiring = expiring || status.status == .expiring
                text += "\n\(provider.id) (\(provider.api.rawValue), \(provider.baseURL)): \(status.status.rawValue)\n"
                let model = defaultModel?.provider == provider.id ? provider.models.first { $0.id == defaultModel?.model } : provider.models.first
                var anyWorks = false
                for (index, credential) in usable.enumerated() {
                    var line = "  \(credential.label)\t\(credential.kind.rawValue)\t\(credential.masked)"
                    if let expires = credential.expiresAtMilliseconds { line += "\texpires \(RuntimeFormatting.time(expires))" }
                    if probe {
                        let outcome: ProviderCredentialStatus.ProbeOutcome
                        if let model {
                            outcome = .init(await runtime.probe(provider: provider, model: model, credential: credential))
                        } else {
                            outcome = .init(status: "no_model", message: "the catalog has no model for \(provider.id)")
                        }
                        status.credentials[index].probe = outcome
                        line += "\tprobe: " + (outcome.status == "ok" || outcome.status == "no_model" ? outcome.status : "\(outcome.status): \(outcome.message ?? "")")
                        if outcome.status == "ok" { anyWorks = true }
                    }
                    text += line + "\n"
                }
                for skip in status.credentials.dropFirst(usable.count) {
                    text += "  \(skip.label)\t\(skip.status ?? "")\t\(skip.detail ?? "")\n"
                }
                if usable.isEmpty { text += "  no credentials: set \(RuntimeEnvironment.prefix(of: provider.id))_API_KEY or run `openclaw models auth paste-token --provider \(provider.id) --type api_key`\n" }
                if probe, !anyWorks { probeFailed = true }
                statuses.append(status)
            }
            if output.json {
                try Output.json(encoding: ModelsStatusReport(agentId: runtime.agent.value, defaultModel: defaultModel?.description, providers: statuses))
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
