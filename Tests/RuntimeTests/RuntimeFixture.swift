import FakeProvider
import Foundation
import StateStore
import Testing
import VFS
@_exported import TestSupport
@testable import AgentRuntime

/// A state root in a temporary directory, a live fake provider on 127.0.0.1 and the runtime of
/// agent `main`, with provider `fake` (model `m1`) in the catalog.
struct RuntimeFixture {
    static let key = "sk-fixture-aaaaaaaaaaaa1111"

    let directory = TemporaryDirectory()
    let fake: FakeModelProvider
    let runtime: AgentRuntime

    var state: StateDirectory { runtime.state }

    /// `timeoutMilliseconds` is generous: in the whole suite, CLI tests that wait for child
    /// processes hold the cooperative threads (two on two cores) for seconds at a time, and the
    /// in-process fake provider then answers late; that is load, not a failure of the runtime.
    init(api: ModelAPI = .openAICompletions, environment: [String: String] = ["FAKE_API_KEY": RuntimeFixture.key],
         configuration: RuntimeConfiguration = .init(), timeoutMilliseconds: Int = 60_000, maxRetries: Int = 2) async throws {
        fake = try await FakeModelProvider.start()
        let state = StateDirectory(root: directory.path + "/state")
        var invoker = ModelInvoker()
        invoker.client.initialBackoff = .milliseconds(10)
        let global = try state.openGlobal(components: [RuntimeSchema.global])
        let database = try state.openAgent(.main, components: AgentRuntime.agentComponents)
        runtime = AgentRuntime(state: state, agent: .main, agentDatabase: database, globalDatabase: global,
                               environment: RuntimeEnvironment(variables: environment), configuration: configuration, invoker: invoker)
        let baseURL = api == .openAICompletions ? fake.baseURL + "/v1" : fake.baseURL
        try runtime.catalog.setProvider(try ModelProviderConfiguration(
            id: "fake", api: api, baseURL: baseURL, timeoutMilliseconds: timeoutMilliseconds, maxRetries: maxRetries,
            models: [try ModelDescriptor(id: "m1", contextWindow: 8192, maxTokens: 512)]))
        try runtime.settings.setDefaultModel(ModelReference(provider: "fake", model: "m1"))
    }

    /// The provider configuration as stored.
    func provider() throws -> ModelProviderConfiguration {
        try #require(try runtime.catalog.provider("fake"))
    }

    /// The events of the main session.
    func mainEvents() throws -> [TranscriptEvent] {
        let session = try #require(try runtime.sessions.session(.main(.main)))
        return try runtime.sessions.events(session.sessionID)
    }

    func stop() async { await fake.stop() }

    /// Makes a fixture, runs `body` with it and stops the fake provider, also when `body` throws.
    static func with(api: ModelAPI = .openAICompletions, environment: [String: String] = ["FAKE_API_KEY": RuntimeFixture.key],
                     configuration: RuntimeConfiguration = .init(), timeoutMilliseconds: Int = 60_000, maxRetries: Int = 2,
                     _ body: (RuntimeFixture) async throws -> Void) async throws {
        let fixture = try await RuntimeFixture(api: api, environment: environment, configuration: configuration,
                                               timeoutMilliseconds: timeoutMilliseconds, maxRetries: maxRetries)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}

/// A tool call for the fake to send.
func fakeCall(_ id: String, _ name: String, _ arguments: JSONValue) -> FakeToolCall {
    FakeToolCall(id: id, name: name, argumentsJSON: arguments.jsonText)
}

/// The messages array a recorded request sent, as JSON.
func sentMessages(_ request: FakeRecordedRequest) throws -> [JSONValue] {
    try #require(try JSONValue.parse(request.body)["messages"]?.arrayValue)
}
