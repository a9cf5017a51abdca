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
        #expect(RuntimeClock.iso8601(milliseconds: 951_782_400_007) == "2000-02-29T00:00:00.007Z")
        #expect(RuntimeClock.iso8601(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
        // Each agrees with Foundation's formatter.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for milliseconds: Int64 in [1, 59_999, 86_400_000, 1_000_000_000_000, 1_796_284_802_999] {
            #expect(RuntimeClock.iso8601(milliseconds: milliseconds) == formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)))
        }
    }
}
