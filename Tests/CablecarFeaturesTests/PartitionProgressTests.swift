import CablecarDomain
import CablecarFeatures
import CablecarKafka
import Testing

@testable import CablecarFeatureStore

@Suite struct PartitionProgressTests {
    let t0 = ContinuousClock.now

    @Test func aDeliveringPartitionHoldsTheClockAndAnIdleOneDoesNot() {
        var progress = PartitionProgress(idleAfter: .seconds(10))
        progress.refresh(assignment: [TopicPartition(topic: "obs", partition: 0), TopicPartition(topic: "obs", partition: 1)], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 20 * Fixtures.step, partition: "obs:0")
        progress.delivered("obs:0", now: t0)
        // obs:1 was assigned but has delivered nothing yet: it may still hold older intervals.
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(1)) == nil)
        clock.observe(eventTime: Fixtures.base + 3 * Fixtures.step, partition: "obs:1")
        progress.delivered("obs:1", now: t0 + .seconds(2))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(3)) == Fixtures.base + 4 * Fixtures.step)
        // obs:1 goes quiet: after the idle time it no longer holds the clock back.
        progress.delivered("obs:0", now: t0 + .seconds(11))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(13)) == Fixtures.base + 21 * Fixtures.step)
        // Everything quiet: the newest interval seen anywhere.
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(60)) == Fixtures.base + 21 * Fixtures.step)
    }

    @Test func withoutAnAssignmentTheClockStays() {
        let progress = PartitionProgress()
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base, partition: "obs:0")
        #expect(progress.clockCandidate(clock) == nil)
    }
}
