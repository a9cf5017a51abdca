import Foundation
import Testing
import Storage

@Suite struct SystemClockTests {
    @Test func wallClockUnitsAgreeWithFoundation() {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let milliseconds = SystemClock.milliseconds()
        let nanoseconds = SystemClock.nanoseconds()
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(before - 1...after + 1 ~= milliseconds)
        #expect(milliseconds...after + 1 ~= nanoseconds / 1_000_000)
    }

    @Test func monotonicTimeNeverGoesBack() {
        var last = SystemClock.monotonicNanoseconds()
        for _ in 0..<1000 {
            let now = SystemClock.monotonicNanoseconds()
            #expect(now >= last)
            last = now
        }
    }
}
