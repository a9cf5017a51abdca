import ArgumentParser
import FakeProvider
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `openclaw-bench demo-provider`: the local fake model provider, scripted for the Quick start
/// demo, until SIGTERM or SIGINT.
struct DemoProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-provider",
        abstract: "Serve a scripted local model (OpenAI and Anthropic wire formats) on 127.0.0.1 for demos.",
        discussion: """
            Prints its base URL on the first line of standard output, then serves until SIGTERM or SIGINT. \
            The demo script makes the agent search the workspace for TODO markers, write a summary file and answer. \
            It is not a model: it replays the script whatever it is asked.
            """
    )

    @Option(help: ArgumentHelp("Where the sample workspace was imported in the VFS.", valueName: "path"))
    var root = "/sample"

    func run() async throws {
        let provider = try await FakeModelProvider.start()
        provider.enqueue(
            .toolCalls([FakeToolCall(id: "call_find", name: "find", argumentsJSON: #"{"pattern":"*.md","path":"\#(root)"}"#)],
                       text: "Let me look at the workspace first."),
            .toolCalls([FakeToolCall(id: "call_grep", name: "grep", argumentsJSON: #"{"pattern":"TODO|FIXME","path":"\#(root)","ignoreCase":true}"#)], text: nil),
            .toolCalls([FakeToolCall(id: "call_write", name: "write", argumentsJSON: ##"{"path":"\##(root)/NOTES-from-agent.md","content":"# Notes\n\nThe agent searched this workspace for TODO and FIXME markers; see the grep result in the transcript.\n"}"##)], text: nil),
            .text("I listed the Markdown files, searched for TODO and FIXME markers and wrote \(root)/NOTES-from-agent.md. Everything I did is in the transcript: `openclaw sessions show main`.")
        )
        provider.setDefaultReply(.text("(demo provider: the script is finished)"))
        FileHandle.standardOutput.write(Data((provider.baseURL + "\n").utf8))
        let (stop, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        for await _ in stop { break }
        for source in sources { source.cancel() }
        await provider.stop()
    }
}
