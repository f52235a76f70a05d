import CablecarDomain
import CablecarFeatures
import Testing

@Suite struct AvailabilityClockTests {
    @Test func replayedRevisionsBecomeAvailableOnTheEventTimeClock() {
        var clock = AvailabilityClock()
        let wall: EpochMillis = 1_800_000_000_000  // a replay a year after its data
        let t0 = Fixtures.base
        #expect(clock.arrive(eventTime: t0, ingestTime: wall, partition: "p0") == t0 + Fixtures.step)
        #expect(clock.arrive(eventTime: t0 + Fixtures.step, ingestTime: wall, partition: "p0") == t0 + 2 * Fixtures.step)
        // A partition first seen behind the clock does not move it back.
        #expect(clock.arrive(eventTime: t0, ingestTime: wall, partition: "p1") == t0 + 2 * Fixtures.step)
        #expect(clock.now == t0 + 2 * Fixtures.step)
        #expect(clock.arrive(eventTime: t0 + 3 * Fixtures.step, ingestTime: wall, partition: "p1") == t0 + 4 * Fixtures.step)
        #expect(clock.now == t0 + 2 * Fixtures.step)
        #expect(clock.arrive(eventTime: t0 + 2 * Fixtures.step, ingestTime: wall, partition: "p0") == t0 + 3 * Fixtures.step)
        #expect(clock.now == t0 + 3 * Fixtures.step)
        // A late correction of an old interval is available only at the current clock.
        #expect(clock.arrive(eventTime: t0 - 10 * Fixtures.step, ingestTime: wall, partition: "p0") == t0 + 3 * Fixtures.step)
    }

    @Test func theClockNeverMovesBackAndTheLiteralPolicyUsesIngestTime() {
        var clock = AvailabilityClock()
        #expect(
            clock.arrive(eventTime: Fixtures.base + 10 * Fixtures.step, ingestTime: 0, partition: "p0") == Fixtures.base + 11
                * Fixtures.step)
        // A partition seen for the first time far behind does not pull the clock back.
        #expect(clock.arrive(eventTime: Fixtures.base, ingestTime: 0, partition: "p1") == Fixtures.base + 11 * Fixtures.step)
        #expect(clock.now == Fixtures.base + 11 * Fixtures.step)
        var literal = AvailabilityClock(policy: .ingestTime)
        #expect(literal.arrive(eventTime: Fixtures.base, ingestTime: Fixtures.base + 999_999) == Fixtures.base + 999_999)
        // Restored from stored marks, the clock resumes where it was.
        let restored = AvailabilityClock(highWater: ["p0": Fixtures.base + 3 * Fixtures.step], now: Fixtures.base + 5 * Fixtures.step)
        #expect(restored.now == Fixtures.base + 5 * Fixtures.step)
    }

    @Test func aCorrectionIsNotDatedBeforeItsPartitionsNewestInterval() {
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 9 * Fixtures.step, partition: "p0")
        // The clock has not moved (another partition holds it back), but p0 is at interval 9.
        #expect(clock.now == nil)
        clock.observe(eventTime: Fixtures.base, partition: "p0")
        #expect(clock.availability(eventTime: Fixtures.base, ingestTime: 0, partition: "p0") == Fixtures.base + 10 * Fixtures.step)
        clock.advance(to: Fixtures.base + 12 * Fixtures.step)
        #expect(clock.availability(eventTime: Fixtures.base, ingestTime: 0, partition: "p0") == Fixtures.base + 12 * Fixtures.step)
        clock.advance(to: Fixtures.base)
        #expect(clock.now == Fixtures.base + 12 * Fixtures.step)
    }

    @Test func assignFollowsIngestOrder() {
        let wall: EpochMillis = 1_800_000_000_000
        let first = Fixtures.traffic("A", Fixtures.base, flow: 1, speed: 1).observation
        var second = Fixtures.traffic("A", Fixtures.base + 6 * Fixtures.step, flow: 1, speed: 1).observation
        var correction = Fixtures.traffic("A", Fixtures.base, flow: 2, speed: 2, revision: 1).observation
        var f = first
        f.ingestTime = wall
        second.ingestTime = wall + 1
        correction.ingestTime = wall + 2
        let assigned = AvailabilityClock.assign(traffic: [correction, f, second], context: [])
        #expect(
            assigned.traffic.map(\.availableAt) == [
                Fixtures.base + 7 * Fixtures.step, Fixtures.base + Fixtures.step, Fixtures.base + 7 * Fixtures.step,
            ])
    }
}
