import AgentRuntime
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ModelsCommand {
    /// `openclaw models auth`: stored credentials (auth profiles) and their order.
    struct Auth: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auth", abstract: "Store credentials (auth profiles) and choose their order.",
            subcommands: [PasteToken.self, ListProfiles.self, RemoveProfile.self, Order.self])
    }

    struct PasteToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "paste-token", abstract: "Store a token or API key read from standard input.",
            discussion: "Nothing is echoed or printed back but the masked suffix. Example: printf %s \"$KEY\" | openclaw models auth paste-token --provider openai --type api_key")

        enum CredentialType: String, ExpressibleByArgument, CaseIterable { case token, api_key }

        @OptionGroup var options: AgentOptions
        @Option(name: .long, help: "The provider id.") var provider: String
        @Option(name: .long, help: ArgumentHelp("The profile id (default <provider>:default).", valueName: "id")) var profileId: String?
        @Option(name: .long, help: "token (sent as Authorization: Bearer) or api_key.") var type: CredentialType = .token
        @Option(name: .long, help: ArgumentHelp("The token expires after this many seconds.", valueName: "seconds")) var expiresIn: Int64?

        func validate() throws {
            if let expiresIn, expiresIn <= 0 { throw ValidationError("--expires-in must be positive") }
            if expiresIn != nil, type == .api_key { throw ValidationError("--expires-in applies to tokens") }
        }

        func run() throws {
            let input: String
            if isatty(0) == 1 {
                Output.error("Paste the \(type == .token ? "token" : "API key") (not shown), then Enter:")
                input = Self.readLineWithoutEcho()
            } else {
                input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            let secret = input.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw CLIFailure(message: "no token on standard input", status: ExitStatus.usage) }
            let runtime = try options.runtime()
            let id = profileId ?? "\(provider):default"
            let credential: AuthCredential = type == .token
                ? .token(token: secret, tokenRef: nil, expiresAtMilliseconds: expiresIn.map { RuntimeClock.milliseconds() + $0 * 1000 })
                : .apiKey(key: secret, keyRef: nil)
            let profile = try AuthProfile(id: id, provider: provider, credential: credential)
            try runtime.authProfiles.save(profile)
            Output.line("stored \(type.rawValue) \(Redaction.mask(secret)) as profile \(id) of agent \(runtime.agent)")
        }

        /// Reads one line from the terminal with echo turned off (restored afterwards).
        static func readLineWithoutEcho() -> String {
            var saved = termios()
            let haveSettings = tcgetattr(0, &saved) == 0
            if haveSettings {
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(0, TCSAFLUSH, &quiet)
            }
            defer {
                if haveSettings { tcsetattr(0, TCSAFLUSH, &saved) }
                Output.error("")
            }
            return readLine(strippingNewline: true) ?? ""
        }
    }

    struct ListProfiles: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored auth profiles (secrets masked).")
        @OptionGroup var options: AgentOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let runtime = try options.runtime()
            let profiles = try runtime.authProfiles.profiles()
            let rows: [[String: Any]] = profiles.map { profile in
                var row: [String: Any] = ["id": profile.id, "provider": profile.provider, "type": profile.credential.typeName]
                switch profile.credential {
                case .apiKey(let key, let ref):
                    if let key { row["masked"] = Redaction.mask(key) }
                    if let ref { row["ref"] = "\(ref.source.rawValue):\(ref.id)" }
                case .token(let token, let ref, _):
                    if let token { row["masked"] = Redaction.mask(token) }
                    if let ref { row["ref"] = "\(ref.source.rawValue):\(ref.id)" }
                case .oauth(let access, _, _):
                    row["masked"] = Redaction.mask(access)
                }
                if let expires = profile.credential.expiresAtMilliseconds { row["expiresAtMs"] = expires }
                return row
            }
            if output.json {
                Output.json(["profiles": rows])
                return
            }
            for row in rows {
                Output.line("\(row["id"] ?? "")\t\(row["type"] ?? "")\t\(row["masked"] ?? (row["ref"].map { "ref \($0)" } ?? ""))")
            }
        }
    }

    struct RemoveProfile: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a stored auth profile.")
        @OptionGroup var options: AgentOptions
        @Argument(help: "The profile id.") var id: String

        func run() throws {
            try options.runtime().authProfiles.remove(id)
            Output.line("removed profile \(id)")
        }
    }

    struct Order: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "order", abstract: "The explicit order of a provider's profiles (stored per agent).",
            subcommands: [Get.self, SetOrder.self, Clear.self])

        struct Get: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "get", abstract: "Show the order.")
            @OptionGroup var options: AgentOptions
            @Option(name: .long, help: "The provider id.") var provider: String
            @OptionGroup var output: JSONFlag

            func run() throws {
                let order = try options.runtime().authProfiles.order(provider: provider)
                if output.json {
                    Output.json(["provider": provider, "order": order as Any? ?? NSNull()])
                } else {
                    Output.line(order.map { $0.joined(separator: " ") } ?? "(no explicit order: last working profile, then \(provider):default, then the others)")
                }
            }
        }

        struct SetOrder: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set", abstract: "Set the order; profiles not listed are not used.")
            @OptionGroup var options: AgentOptions
            @Option(name: .long, help: "The provider id.") var provider: String
            @Argument(help: "Profile ids, first tried first.") var profiles: [String]

            func run() throws {
                try options.runtime().authProfiles.setOrder(provider: provider, profiles)
                Output.line("order for \(provider): \(profiles.joined(separator: " "))")
            }
        }

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove the explicit order.")
            @OptionGroup var options: AgentOptions
            @Option(name: .long, help: "The provider id.") var provider: String

            func run() throws {
                try options.runtime().authProfiles.clearOrder(provider: provider)
                Output.line("order for \(provider) cleared")
            }
        }
    }
}
