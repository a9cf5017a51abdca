import AgentRuntime
import ArgumentParser
import Foundation

/// `openclaw models`: the model catalog, the default model, credentials.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "The model catalog, the agent's default model and model credentials.",
        subcommands: [List.self, SetDefault.self, Providers.self, Status.self, Auth.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models of the catalog.")
        @OptionGroup var options: AgentOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let runtime = try options.runtime()
            let providers = try runtime.catalog.providers()
            let defaultModel = try runtime.settings.defaultModel()
            if output.json {
                try Output.json(encoding: ModelList(providers: providers, defaultModel: defaultModel))
                return
            }
            let rows = providers.flatMap { provider in provider.models.map { (provider, $0) } }
            if rows.isEmpty {
                Output.error("the catalog is empty; add a provider with `openclaw models providers set ID --api ... --base-url ... --model MODEL`")
                return
            }
            for (provider, model) in rows {
                let mark = defaultModel == ModelReference(provider: provider.id, model: model.id) ? "*" : " "
                Output.line("\(mark) \(provider.id)/\(model.id)\t\(provider.api.rawValue)\tcontext \(model.contextWindow.map(String.init) ?? "-")\tmax \(model.maxTokens.map(String.init) ?? "-")")
            }
        }
    }

    struct SetDefault: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set the agent's default model (it must be in the catalog).")
        @OptionGroup var options: AgentOptions
        @Argument(help: "provider/model") var model: String

        func run() throws {
            let runtime = try options.runtime()
            let reference = try ModelReference(model)
            _ = try runtime.catalog.resolve(reference)
            try runtime.settings.setDefaultModel(reference)
            Output.line("default model of agent \(runtime.agent): \(reference)")
        }
    }

    struct Providers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "providers", abstract: "Add, change, list and remove providers.",
            subcommands: [SetProvider.self, ListProviders.self, RemoveProvider.self], defaultSubcommand: ListProviders.self)
    }

    struct SetProvider: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Add or change a provider.",
            discussion: "Options not given keep their stored values; --model replaces the provider's models.")
        @OptionGroup var stateOptions: StateOptions
        @Argument(help: "The provider id (openai, anthropic, openrouter, ...).") var id: String
        @Option(name: .long, help: "openai-completions or anthropic-messages.") var api: String?
        @Option(name: .long, help: ArgumentHelp("The base URL, like https://api.openai.com/v1 or https://api.anthropic.com.", valueName: "url")) var baseUrl: String?
        @Option(name: .long, help: ArgumentHelp("An extra request header (repeatable).", valueName: "name=value")) var header: [String] = []
        @Option(name: .long, help: ArgumentHelp("Remove a stored header (repeatable).", valueName: "name")) var removeHeader: [String] = []
        @Option(name: .long, help: ArgumentHelp("Request timeout in milliseconds (default 120000).", valueName: "ms")) var timeoutMs: Int?
        @Option(name: .long, help: ArgumentHelp("Retries after 5xx answers or connection failures (default 2).", valueName: "n")) var maxRetries: Int?
        @Option(name: .long, help: ArgumentHelp("A model id (repeatable).", valueName: "id")) var model: [String] = []
        @Option(name: .long, help: ArgumentHelp("Context window of the given models.", valueName: "tokens")) var contextWindow: Int?
        @Option(name: .long, help: ArgumentHelp("Largest completion of the given models.", valueName: "tokens")) var maxTokens: Int?
        @OptionGroup var output: JSONFlag

        func run() throws {
            let state = stateOptions.directory()
            let catalog = ModelCatalog(database: try state.openGlobal(components: [RuntimeSchema.global]))
            let existing = try catalog.provider(id)
            guard let apiText = api ?? existing?.api.rawValue else { throw ValidationError("a new provider needs --api (openai-completions or anthropic-messages)") }
            guard let api = ModelAPI(rawValue: apiText) else { throw ValidationError("--api must be openai-completions or anthropic-messages") }
            guard let baseURL = baseUrl ?? existing?.baseURL else { throw ValidationError("a new provider needs --base-url") }
            var headers = existing?.headers ?? [:]
            for name in removeHeader {
                guard headers.removeValue(forKey: name) != nil else { throw ValidationError("provider \(id) has no header \(name.debugDescription)") }
            }
            for item in header {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else { throw ValidationError("--header must be name=value, got \(item.debugDescription)") }
                headers[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
            let models = try model.map { try ModelDescriptor(id: $0, contextWindow: contextWindow, maxTokens: maxTokens) }
            if models.isEmpty, contextWindow != nil || maxTokens != nil { throw ValidationError("--context-window and --max-tokens apply to the --model options given") }
            let provider = try ModelProviderConfiguration(
                id: id, api: api, baseURL: baseURL, headers: headers,
                timeoutMilliseconds: timeoutMs ?? existing?.timeoutMilliseconds ?? ModelProviderConfiguration.defaultTimeoutMilliseconds,
                maxRetries: maxRetries ?? existing?.maxRetries ?? ModelProviderConfiguration.defaultMaxRetries, models: models)
            try catalog.setProvider(provider)
            let stored = try catalog.provider(id) ?? provider
            if output.json {
                Output.json(ProviderJSON.render(stored))
            } else {
                Output.line("provider \(stored.id): \(stored.api.rawValue) \(stored.baseURL), \(stored.models.count) model(s)")
            }
        }
    }

    struct ListProviders: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List providers (secret-looking header values masked).")
        @OptionGroup var stateOptions: StateOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let catalog = ModelCatalog(database: try stateOptions.directory().openGlobal(components: [RuntimeSchema.global]))
            let providers = try catalog.providers()
            if output.json {
                Output.json(["providers": providers.map(ProviderJSON.render)])
                return
            }
            for provider in providers {
                Output.line("\(provider.id)\t\(provider.api.rawValue)\t\(provider.baseURL)\ttimeout \(provider.timeoutMilliseconds) ms\tretries \(provider.maxRetries)\tmodels: \(provider.models.map(\.id).joined(separator: ", "))")
            }
        }
    }

    struct RemoveProvider: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a provider and its models.")
        @OptionGroup var stateOptions: StateOptions
        @Argument(help: "The provider id.") var id: String

        func run() throws {
            let catalog = ModelCatalog(database: try stateOptions.directory().openGlobal(components: [RuntimeSchema.global]))
            try catalog.removeProvider(id)
            Output.line("removed provider \(id)")
        }
    }
}

enum ProviderJSON {
    static func render(_ provider: ModelProviderConfiguration) -> [String: Any] {
        [
            "id": provider.id, "api": provider.api.rawValue, "baseUrl": provider.baseURL,
            "headers": Dictionary(uniqueKeysWithValues: provider.headers.map { ($0.key, Redaction.isSecretHeader($0.key) ? Redaction.mask($0.value) : $0.value) }),
            "timeoutMs": provider.timeoutMilliseconds, "maxRetries": provider.maxRetries,
            "models": provider.models.map { ["id": $0.id, "contextWindow": $0.contextWindow as Any? ?? NSNull(), "maxTokens": $0.maxTokens as Any? ?? NSNull()] as [String: Any] },
        ]
    }
}
