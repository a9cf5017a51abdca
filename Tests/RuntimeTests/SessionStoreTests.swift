import Foundation
import GRDB
import StateStore
import Testing
@testable import AgentRuntime

@Suite struct SessionKeyTests {
    @Test func parsesCanonicalAndBareKeys() throws {
        #expect(try SessionKey("agent:main:main").value == "agent:main:main")
        #expect(try SessionKey("MAIN").value == "agent:main:main")
        #expect(try SessionKey("agent:Ops:direct:alice").value == "agent:ops:direct:alice")
        #expect(try SessionKey("work", defaultAgent: AgentID("ops")).value == "agent:ops:work")
        #expect(SessionKey.subagent(.main, id: "abc").isSubagent)
    }

    @Test(arguments: ["", "agent:main:", "agent::main", "agent:-x:main", "agent:main:a b", "agent:main:a\u{7}", "agent:main::x",
                      "agent:main:x:", String(repeating: "k", count: 201), "agent:"])
    func rejectsInvalidKeys(_ raw: String) {
        #expect(throws: AgentRuntimeError.self) { try SessionKey(raw) }
        do { _ = try SessionKey(raw) } catch let error as AgentRuntimeError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("session key"))
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite struct SessionStoreTests {
    func store() throws -> (TemporaryDirectory, SessionStore) {
        let directory = TemporaryDirectory()
        let state = StateDirectory(root: directory.path)
        let database = try state.openAgent(.main, components: AgentRuntime.agentComponents)
        return (directory, SessionStore(database: database, agent: .main))
    }

    @Test func aSessionStartsWithAHeaderAndSeqsAreDense() throws {
        let (_, store) = try store()
        let key = SessionKey.main(.main)
        let session = try store.openSession(key)
        #expect(try store.openSession(key).sessionID == session.sessionID, "opening again returns the same session")
        var ids: [String] = []
        for index in 0..<5 {
            let appended = try store.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["n": .int(index)]))
            #expect(appended.seq == Int64(index + 1))
            ids.append(appended.id)
        }
        let events = try store.events(session.sessionID)
        #expect(events.map(\.seq) == Array(0...5))
        #expect(events[0].type == "session")
        #expect(events[0].id == session.sessionID)
        #expect(events[0].json["sessionKey"]?.stringValue == "agent:main:main")
        #expect(events[0].parentID == nil)
        #expect(events[1].parentID == session.sessionID, "the first message follows the header")
        #expect(events[2].parentID == ids[0], "each event follows the tail")
        #expect(events[3].json["timestamp"]?.stringValue?.hasSuffix("Z") == true)
        let frontier = try store.frontier(session.sessionID)
        #expect(frontier.lastSeq == 5)
        #expect(frontier.eventCount == 6)
        #expect(frontier.updatedAtMilliseconds >= frontier.createdAtMilliseconds)
    }

    @Test func cursorReadsReturnTheRequestedSlice() throws {
        let (_, store) = try store()
        let session = try store.openSession(.main(.main))
        for index in 0..<20 { try store.append(session.sessionID, TranscriptEventDraft(type: "note", fields: ["n": .int(index)])) }
        let page = try store.events(session.sessionID, after: 4, limit: 3)
        #expect(page.map(\.seq) == [5, 6, 7])
        #expect(try store.events(session.sessionID, after: 20).isEmpty)
        #expect(throws: AgentRuntimeError.self) { try store.events("no-such-session") }
    }

    @Test func anIdempotencyKeyReturnsTheFirstEvent() throws {
        let (_, store) = try store()
        let session = try store.openSession(.main(.main))
        let first = try store.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["text": "a"], idempotencyKey: "k1"))
        let again = try store.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["text": "b"], idempotencyKey: "k1"))
        #expect(!first.deduplicated)
        #expect(again.deduplicated)
        #expect(again.id == first.id)
        #expect(again.seq == first.seq)
        #expect(try store.frontier(session.sessionID).eventCount == 2, "nothing was appended the second time")
    }

    @Test func concurrentAppendsGetDistinctDenseSeqs() async throws {
        let (_, store) = try store()
        let session = try store.openSession(.main(.main))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in 0..<50 {
                        _ = try? store.append(session.sessionID, TranscriptEventDraft(type: "note", fields: ["w": .int(worker), "i": .int(index)]))
                    }
                }
            }
        }
        let events = try store.events(session.sessionID)
        #expect(events.map(\.seq) == Array(0...200))
    }

    @Test func resetStartsANewSessionIdAndKeepsTheOldTranscript() throws {
        let (_, store) = try store()
        let key = SessionKey.main(.main)
        let first = try store.openSession(key)
        try store.append(first.sessionID, TranscriptEventDraft(type: "message", fields: ["text": "old"]))
        let (previous, second) = try store.reset(key, note: "fresh start")
        #expect(previous == first.sessionID)
        #expect(second.sessionID != first.sessionID)
        #expect(second.frontier.eventCount == 1, "only the new header")
        #expect(try store.events(first.sessionID).count == 2, "the old transcript is kept")
        let header = try store.events(second.sessionID)[0]
        #expect(header.json["previousSessionId"]?.stringValue == first.sessionID)
        #expect(header.json["reason"]?.stringValue == "reset")
        let windows = try store.windows(key)
        #expect(windows.map(\.reason) == ["initial", "reset"])
        #expect(windows[1].note == "fresh start")
        #expect(windows[0].endedAtMilliseconds != nil)
        #expect(throws: AgentRuntimeError.self) { try store.reset(SessionKey("agent:main:never")) }
    }

    @Test func deleteRemovesEveryGeneration() throws {
        let (_, store) = try store()
        let key = try SessionKey("agent:main:scratch")
        let first = try store.openSession(key)
        try store.reset(key)
        let deleted = try store.delete(key)
        #expect(deleted == 2)
        #expect(try store.session(key) == nil)
        #expect(throws: AgentRuntimeError.self) { try store.events(first.sessionID) }
        #expect(throws: AgentRuntimeError.self) { try store.delete(key) }
        let count = try store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM transcript_events") }
        #expect(count == 0)
    }

    @Test func listIsMostRecentFirstAndRejectsOtherAgentsKeys() throws {
        let (_, store) = try store()
        let a = try SessionKey("agent:main:a")
        let b = try SessionKey("agent:main:b")
        _ = try store.openSession(a)
        let sessionB = try store.openSession(b)
        Thread.sleep(forTimeInterval: 0.005)
        try store.append(try #require(try store.session(a)).sessionID, TranscriptEventDraft(type: "note"))
        #expect(try store.list().map(\.key) == [a, b])
        #expect(try store.list(limit: 1).count == 1)
        #expect(sessionB.frontier.eventCount == 1)
        #expect(throws: AgentRuntimeError.self) { try store.openSession(SessionKey("agent:other:main")) }
    }

    @Test func noColumnHoldsAFilePath() throws {
        let (directory, store) = try store()
        let session = try store.openSession(.main(.main))
        try store.append(session.sessionID, TranscriptEventDraft(type: "message", fields: ["text": "x"]))
        let dump = try store.database.read { db in
            try String.fetchAll(db, sql: """
                SELECT group_concat(event_json) FROM transcript_events UNION ALL SELECT group_concat(session_key || session_id) FROM session_windows
                """).compactMap { $0 }.joined()
        }
        #expect(!dump.contains(directory.path))
        #expect(!dump.contains(".jsonl"))
    }
}
