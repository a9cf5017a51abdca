import FakeProvider
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A run killed mid-way (SIGKILL while the model streams) leaves a readable transcript and a
/// sound database, and the next run of the session works.
@Suite struct AgentCrashTests {
    static let key = "sk-crash-test-aaaaaaaa9999"

    @Test func aRunKilledMidStreamLeavesAReadableTranscript() async throws {
        let fake = try await FakeModelProvider.start()
        do {
            let directory = TemporaryDirectory()
            let cli = CLIRunner(state: directory.path)
            // CLI calls run on threads of their own: the fake provider answers on Swift concurrency's.
            #expect(try await RuntimeFixture.run(cli, ["models", "providers", "set", "fake", "--api", "openai-completions", "--base-url", fake.baseURL + "/v1", "--model", "m1"]).status == 0)
            #expect(try await RuntimeFixture.run(cli, ["models", "set", "fake/m1"]).status == 0)
            fake.enqueue(.stall(text: "partial answer "))

            let (seen, reason) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(String, Process.TerminationReason), any Error>) in
                Thread {
                    continuation.resume(with: Result { try Self.runAndKill(state: directory.path, after: "partial answer") })
                }.start()
            }
            #expect(seen.contains("partial answer"), "the stream reached the terminal before the kill")
            #expect(reason == .uncaughtSignal)

            // The transcript is readable and has everything written before the kill; no run_end.
            let shown = try await RuntimeFixture.run(cli, ["sessions", "show", "main", "--json"])
            #expect(shown.status == 0, "\(shown.stderr)")
            let document = try #require(try shown.json() as? [String: Any])
            let events = try #require(document["events"] as? [[String: Any]])
            let types = events.compactMap { ($0["event"] as? [String: Any])?["type"] as? String }
            #expect(types == ["session", "message", "run_start"])
            let doctor = try await RuntimeFixture.run(cli, ["doctor", "--json"])
            #expect(doctor.status == 0, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("\"ok\""))

            // The next run of the same session works, and sees the earlier message.
            fake.enqueue(.text("resumed fine"))
            let next = try await RuntimeFixture.run(cli, ["agent", "-m", "continue"], environment: ["FAKE_API_KEY": Self.key])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stdout.contains("resumed fine"))
            let body = String(decoding: try #require(fake.requests.last).body, as: UTF8.self)
            #expect(body.contains("a long task"))
            #expect(!next.stdout.contains(Self.key) && !next.stderr.contains(Self.key))
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    /// Starts `openclaw agent`, waits until its standard output shows `marker` (at most 15 s),
    /// SIGKILLs it and returns what it printed and how it ended.
    static func runAndKill(state: String, after marker: String) throws -> (String, Process.TerminationReason) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        process.arguments = ["agent", "-m", "a long task", "--state", state]
        process.environment = ProcessInfo.processInfo.environment.merging(["FAKE_API_KEY": key]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = output.fileHandleForReading
        var seen = Data()
        let deadline = Date().addingTimeInterval(15)
        while !String(decoding: seen, as: UTF8.self).contains(marker), Date() < deadline {
            var poll = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 100) > 0 {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return (String(decoding: seen, as: UTF8.self), process.terminationReason)
    }
}
