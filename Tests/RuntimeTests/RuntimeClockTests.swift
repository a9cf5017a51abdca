import Foundation
import Testing
@testable import AgentRuntime

@Suite struct RuntimeClockTests {
    @Test func idsAreVersion4UUIDsInLowercaseAndDistinct() throws {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = RuntimeClock.uuid()
            #expect(id.count == 36)
            #expect(id == id.lowercased())
            let parsed = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version 4")
            #expect(bytes.8 >> 6 == 0b10, "RFC 4122 variant")
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func timestampsAreISO8601InUTCWithMilliseconds() {
        #expect(RuntimeClock.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RuntimeClock.iso8601(milliseconds: 1_796_284_802_123) == "2026-12-03T08:00:02.123Z")
    }
}
