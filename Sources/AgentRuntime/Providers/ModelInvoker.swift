import Foundation
import Logging

/// Calls a model with key rotation: the credentials are tried in order, moving to the next one
/// only when the provider rate-limits the current one; any other failure ends the call. When every
/// credential is rate-limited, the last error is returned.
struct ModelInvoker: Sendable {
    var client = ProviderClient()
    var logger = Logger(label: "openclaw.runtime")

    struct Outcome: Sendable {
        var response: ModelResponse
        var credential: Credential
    }

    /// The error for a provider without any usable credential, saying how to add one.
    static func missingCredentials(_ provider: ModelProviderConfiguration) -> AgentRuntimeError {
        let prefix = RuntimeEnvironment.prefix(of: provider.id)
        return AgentRuntimeError(.missingCredentials, "no credentials for provider '\(provider.id)' (\(prefix)_API_KEY is not set and no auth profile is usable)",
                                 hint: "set \(prefix)_API_KEY in the environment or the .env file of the state directory, or store a key with `openclaw models auth paste-token --provider \(provider.id) --type api_key`")
    }

    func complete(_ request: ModelRequest, provider: ModelProviderConfiguration, credentials: [Credential],
                  onRateLimit: @Sendable (Credential) -> Void = { _ in },
                  onText: @escaping @Sendable (String) -> Void) async throws -> Outcome {
        guard !credentials.isEmpty else { throw Self.missingCredentials(provider) }
        var lastError: AgentRuntimeError?
        for credential in credentials {
            try Task.checkCancellation()
            do {
                let response = try await client.send(request, provider: provider, credential: credential, onText: onText)
                return Outcome(response: response, credential: credential)
            } catch let error as AgentRuntimeError where error.code == .rateLimited {
                logger.info("rate limited; trying the next credential", metadata: ["provider": .string(provider.id), "credential": .string(credential.label)])
                onRateLimit(credential)
                lastError = error
            }
        }
        let last = lastError ?? AgentRuntimeError(.rateLimited, "every credential for provider '\(provider.id)' is rate-limited")
        throw AgentRuntimeError(.rateLimited, "all \(credentials.count) credential(s) for provider '\(provider.id)' are rate-limited; last error: \(last.message)", httpStatus: last.httpStatus)
    }
}
