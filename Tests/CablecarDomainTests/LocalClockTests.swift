import CablecarDomain
import Foundation
import Testing

@Suite struct LocalClockTests {
    /// 2025-03-09 10:00 UTC is 03:00 PDT, after the spring-forward at 02:00 PST (10:00 UTC).
    static let springForward: EpochMillis = 1_741_514_400_000

    @Test func offsetsFollowDaylightSavingTime() throws {
        let clock = try LocalClock(identifier: "America/Los_Angeles")
        #expect(clock.offset(at: Self.springForward - 1) == -8 * 3_600_000)
        #expect(clock.offset(at: Self.springForward) == -7 * 3_600_000)
        // 2025-11-02 09:00 UTC: back to PST.
        #expect(clock.offset(at: 1_762_074_000_000) == -8 * 3_600_000)
        #expect(clock.offset(at: 1_762_074_000_000 - 1) == -7 * 3_600_000)
    }

    @Test func theSameWallTimeGetsTheSameSlotOnBothSidesOfAChange() throws {
        let clock = try LocalClock(identifier: "America/Los_Angeles")
        // Monday 2025-03-03 08:00 PST (16:00 UTC) and Monday 2025-03-10 08:00 PDT (15:00 UTC).
        let before: EpochMillis = 1_741_017_600_000
        let after: EpochMillis = 1_741_618_800_000
        #expect(clock.slotOfWeek(before) == clock.slotOfWeek(after))
        #expect(clock.slotOfWeek(before) == 8 * 12)
        // Keyed on UTC they are an hour apart.
        #expect(Interval.slotOfWeek(before) - Interval.slotOfWeek(after) == 12)
    }

    @Test func utcAndUnknownZones() throws {
        #expect(LocalClock.utc.local(Self.springForward) == Self.springForward)
        #expect(throws: LocalClockError.unknownTimeZone("Mars/Olympus_Mons")) {
            try LocalClock(identifier: "Mars/Olympus_Mons")
        }
        let extreme = try LocalClock(identifier: "Asia/Tokyo")
        #expect(extreme.local(.max) == .max)
        #expect(extreme.local(.min) <= .min + 10 * 3_600_000)
    }

    /// The weekend starts at local midnight: Saturday 2025-03-08 00:00 PST is 08:00 UTC.
    @Test func theWeekendFollowsTheCityCalendar() throws {
        let clock = try LocalClock(identifier: "America/Los_Angeles")
        let saturday: EpochMillis = 1_741_420_800_000
        #expect(!clock.isWeekend(saturday - 1))
        #expect(clock.isWeekend(saturday))
        #expect(LocalClock.utc.isWeekend(saturday - 1), "in UTC it is Saturday 07:59 already")
        // Monday 2025-03-10 00:00 PDT is 07:00 UTC.
        #expect(clock.isWeekend(1_741_590_000_000 - 1))
        #expect(!clock.isWeekend(1_741_590_000_000))
    }
}
