import Synchronization
import Testing
@testable import AgentRuntime

/// The first model call of a run goes out before the run has reported `started`: what it
/// reports meanwhile waits, and comes after `started`, in order.
@Suite struct ModelCallProgressTests {
    private static func sink() throws -> (RunEventSink, AsyncStream<AgentRunEvent>) {
        let (events, continuation) = AsyncStream.makeStream(of: AgentRunEvent.self)
        return (RunEventSink(runID: "r1", sessionKey: try SessionKey("agent:main:main"), continuation: continuation), events)
    }

    private static func texts(_ events: [AgentRunEvent]) -> [String] {
        events.compactMap { event in
            if case .text(let text) = event.payload { return text }
            return nil
        }
    }

    @Test func reportsBeforeOpenComeAfterStartedInOrderAndLaterOnesAtOnce() async throws {
        let (sink, stream) = try Self.sink()
        let progress = ModelCallProgress(sink: sink)
        progress.text("one ")
        progress.text("two ")
        #expect(progress.streamed == "one two ", "the text is kept for a failure mid-stream even while held")
        sink.emit(.started(sessionID: "s1", model: ModelReference(provider: "fake", model: "m1")))
        progress.open()
        progress.text("three")
        sink.finish()
        var events: [AgentRunEvent] = []
        for await event in stream { events.append(event) }
        #expect(events.map(\.type) == ["started", "text", "text", "text"])
        #expect(Self.texts(events) == ["one ", "two ", "three"])
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        progress.clearStreamed()
        #expect(progress.streamed.isEmpty)
    }

    @Test func reportsRacingWithOpenKeepTheirOrder() async throws {
        let (sink, stream) = try Self.sink()
        let progress = ModelCallProgress(sink: sink)
        sink.emit(.started(sessionID: "s1", model: ModelReference(provider: "fake", model: "m1")))
        let reporter = Task.detached {
            for index in 0..<2000 { progress.text("\(index),") }
        }
        try await Task.sleep(for: .microseconds(200))
        progress.open()
        await reporter.value
        sink.finish()
        var events: [AgentRunEvent] = []
        for await event in stream { events.append(event) }
        #expect(Self.texts(events) == (0..<2000).map { "\($0)," })
        #expect(events.first?.type == "started")
    }

    @Test func nothingIsReportedAfterClose() async throws {
        let (sink, stream) = try Self.sink()
        let progress = ModelCallProgress(sink: sink)
        sink.emit(.started(sessionID: "s1", model: ModelReference(provider: "fake", model: "m1")))
        progress.open()
        progress.text("kept ")
        progress.close()
        progress.text("dropped")
        sink.emit(.aborted(reason: "stopped", partialText: progress.streamed))
        sink.finish()
        var events: [AgentRunEvent] = []
        for await event in stream { events.append(event) }
        #expect(events.map(\.type) == ["started", "text", "aborted"])
        #expect(events.last?.payload == .aborted(reason: "stopped", partialText: "kept "))
    }

    @Test func aCallSentEarlyIsCancelledWhenTheRunDoesNotTakeIt() async throws {
        let (sink, _) = try Self.sink()
        let progress = ModelCallProgress(sink: sink)
        let cancelled = Atomic(false)
        progress.sendEarly {
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                cancelled.store(true, ordering: .relaxed)
            }
            throw CancellationError()
        }
        progress.cancelEarly()
        let deadline = ContinuousClock.now + .seconds(10)
        while !cancelled.load(ordering: .relaxed), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        let wasCancelled = cancelled.load(ordering: .relaxed)
        #expect(wasCancelled, "the request in flight was cancelled")
        #expect(progress.takeEarly() == nil)
    }
}
