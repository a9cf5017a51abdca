import Testing
import Storage

@Suite struct EpochTimeTests {
    @Test func secondsAreFlooredBeforeTheEpoch() {
        let cases: [(Int64, Int, Int)] = [(0, 0, 0), (1, 0, 1), (1_500_000_000, 1, 500_000_000),
                                          (-1, -1, 999_999_999), (-1_000_000_000, -1, 0), (-1_500_000_000, -2, 500_000_000)]
        for (nanoseconds, seconds, fraction) in cases {
            let time = EpochTime.flooredSeconds(nanoseconds)
            #expect(time.seconds == seconds && time.nanoseconds == fraction, "\(nanoseconds) ns")
            #expect(EpochTime.nanoseconds(seconds: time.seconds, nanoseconds: time.nanoseconds) == nanoseconds)
        }
    }
}
