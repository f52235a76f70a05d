import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarService
import Testing

@testable import CablecarFeatureStore

@Suite struct PartitionProgressTests {
    let t0 = ContinuousClock.now

    @Test func aDeliveringPartitionHoldsTheClockAndAnIdleOneDoesNot() {
        var progress = PartitionProgress(idleAfter: .seconds(10))
        progress.refresh(assignment: [TopicPartition(topic: "obs", partition: 0), TopicPartition(topic: "obs", partition: 1)], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 20 * Fixtures.step, partition: "obs:0")
        progress.delivered("obs:0", offset: 0, now: t0)
        // obs:1 was assigned but has delivered nothing yet: it may still hold older intervals.
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(1)) == nil)
        clock.observe(eventTime: Fixtures.base + 3 * Fixtures.step, partition: "obs:1")
        progress.delivered("obs:1", offset: 0, now: t0 + .seconds(2))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(3)) == Fixtures.base + 4 * Fixtures.step)
        // obs:1 goes quiet: after the idle time it no longer holds the clock back.
        progress.delivered("obs:0", offset: 1, now: t0 + .seconds(11))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(13)) == Fixtures.base + 21 * Fixtures.step)
        // Everything quiet: the newest interval seen anywhere.
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(60)) == Fixtures.base + 21 * Fixtures.step)
    }

    /// Silence is not idleness: a partition with messages waiting on the broker (a fast replay
    /// whose consumer reads the others first) keeps holding the clock, so its observations are
    /// not stamped hours past their intervals.
    @Test func aSilentPartitionWithMessagesWaitingStillHoldsTheClock() {
        var progress = PartitionProgress(idleAfter: .seconds(10))
        progress.refresh(assignment: [TopicPartition(topic: "obs", partition: 0), TopicPartition(topic: "obs", partition: 1)], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 3 * Fixtures.step, partition: "obs:1")
        progress.delivered("obs:1", offset: 41, now: t0)
        clock.observe(eventTime: Fixtures.base + 20 * Fixtures.step, partition: "obs:0")
        progress.delivered("obs:0", offset: 900, now: t0 + .seconds(11))
        let later = t0 + .seconds(12)
        #expect(progress.silentWithKnownPosition(now: later) == ["obs:1"])

        // The broker has obs:1 up to offset 99: 58 messages past what was delivered.
        let ends = [TopicPartition(topic: "obs", partition: 1): Int64(100), TopicPartition(topic: "obs", partition: 0): 901]
        progress.holding = PartitionBacklog.backlogged(
            candidates: progress.silentWithKnownPosition(now: later), handled: progress.handled, ends: ends)
        #expect(progress.holding == ["obs:1"])
        #expect(progress.clockCandidate(clock, now: later) == Fixtures.base + 4 * Fixtures.step)

        // Read to its end (or its end unknown to the broker: then it is taken to hold messages).
        progress.holding = PartitionBacklog.backlogged(
            candidates: progress.silentWithKnownPosition(now: later), handled: ["obs:1": 99], ends: ends)
        #expect(progress.holding.isEmpty)
        #expect(progress.clockCandidate(clock, now: later) == Fixtures.base + 21 * Fixtures.step)
        #expect(PartitionBacklog.backlogged(candidates: ["obs:1"], handled: ["obs:1": 99], ends: [:]) == ["obs:1"])
    }

    /// After a restart, a partition that has delivered nothing yet is not idle by silence alone:
    /// once its position is known (the group's committed offset), the broker is asked like for
    /// any silent partition, and messages waiting there hold the clock at its restored mark.
    @Test func aPartitionSilentSinceARestartHoldsTheClockWhileMessagesWaitAtItsCommittedOffset() {
        var progress = PartitionProgress(idleAfter: .seconds(10))
        progress.refresh(
            assignment: [TopicPartition(topic: "obs.context", partition: 0), TopicPartition(topic: "obs.context", partition: 1)], now: t0)
        // Restored from the database: both partitions had delivered interval 3 before the restart.
        let restored = Fixtures.base + 4 * Fixtures.step
        var clock = AvailabilityClock(highWater: ["obs.context:0": restored, "obs.context:1": restored])
        clock.observe(eventTime: Fixtures.base + 30 * Fixtures.step, partition: "obs.context:0")
        progress.delivered("obs.context:0", offset: 500, now: t0 + .seconds(11))
        let later = t0 + .seconds(12)
        #expect(progress.silentWithKnownPosition(now: later).isEmpty)
        #expect(progress.silentWithUnknownPosition(now: later) == ["obs.context:1"])
        #expect(progress.clockCandidate(clock, now: later) == Fixtures.base + 31 * Fixtures.step, "idle by silence alone")

        progress.positionsKnown(["obs.context:1": 120])
        #expect(progress.silentWithUnknownPosition(now: later).isEmpty)
        #expect(progress.silentWithKnownPosition(now: later) == ["obs.context:1"])
        let ends = [TopicPartition(topic: "obs.context", partition: 1): Int64(180)]
        progress.holding = PartitionBacklog.backlogged(candidates: ["obs.context:1"], handled: progress.handled, ends: ends)
        #expect(progress.holding == ["obs.context:1"], "60 messages wait past the committed offset")
        #expect(progress.clockCandidate(clock, now: later) == Fixtures.base + 4 * Fixtures.step)

        // Nothing waiting at the committed offset: idle, as before.
        let caughtUp = [TopicPartition(topic: "obs.context", partition: 1): Int64(120)]
        progress.holding = PartitionBacklog.backlogged(candidates: ["obs.context:1"], handled: progress.handled, ends: caughtUp)
        #expect(progress.holding.isEmpty)
        // A group that committed nothing reads from the beginning.
        var fresh = PartitionProgress(idleAfter: .seconds(10))
        fresh.refresh(assignment: [TopicPartition(topic: "obs.context", partition: 2)], now: t0)
        fresh.positionsKnown(["obs.context:2": -1001])
        #expect(fresh.handled["obs.context:2"] == -1)
    }

    /// Traffic runs on while ingest's context watermark waits: the silent context topic holds the
    /// clock at its newest interval, so its next revisions are not dated by traffic's progress
    /// (which depends on how far traffic happened to get), until it has been silent for longer
    /// than `topicIdleAfter`.
    @Test func aSilentTopicHoldsTheClockWhileAnotherDelivers() {
        var progress = PartitionProgress(idleAfter: .seconds(10), topicIdleAfter: .seconds(120))
        progress.refresh(
            assignment: [
                TopicPartition(topic: "obs.traffic", partition: 0), TopicPartition(topic: "obs.context", partition: 0),
                TopicPartition(topic: "obs.context", partition: 1),
            ], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 3 * Fixtures.step, partition: "obs.context:0")
        progress.delivered("obs.context:0", offset: 0, now: t0)
        clock.observe(eventTime: Fixtures.base + 2 * Fixtures.step, partition: "obs.context:1")
        progress.delivered("obs.context:1", offset: 0, now: t0)
        clock.observe(eventTime: Fixtures.base + 40 * Fixtures.step, partition: "obs.traffic:0")
        progress.delivered("obs.traffic:0", offset: 7, now: t0 + .seconds(30))
        // Both context partitions are silent past the partition idle time, but the topic is held
        // at its newest interval, not its slowest partition's.
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(31)) == Fixtures.base + 4 * Fixtures.step)
        // Silent for longer than topicIdleAfter while traffic still delivers: traffic alone.
        progress.delivered("obs.traffic:0", offset: 8, now: t0 + .seconds(125))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(126)) == Fixtures.base + 41 * Fixtures.step)
    }

    /// A topic that has delivered nothing (no context feeds, or ingest not emitting context yet)
    /// holds the clock only while its partitions are newly assigned, not for `topicIdleAfter`.
    @Test func aTopicThatHasDeliveredNothingHoldsOnlyWhileNewlyAssigned() {
        var progress = PartitionProgress(idleAfter: .seconds(10), topicIdleAfter: .seconds(120))
        progress.refresh(
            assignment: [TopicPartition(topic: "obs.traffic", partition: 0), TopicPartition(topic: "obs.context", partition: 0)], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 40 * Fixtures.step, partition: "obs.traffic:0")
        progress.delivered("obs.traffic:0", offset: 7, now: t0 + .seconds(30))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(5)) == nil, "newly assigned: its first messages may be on the way")
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(31)) == Fixtures.base + 41 * Fixtures.step)
    }

    /// Everything silent for a while (ingest paused, or both streams waiting on a slow raw
    /// partition) is not yet the end of the stream: the clock stops at the topic that got least
    /// far, and goes to the newest interval anywhere only when every topic has been silent for
    /// longer than `topicIdleAfter`.
    @Test func aPauseOfEverythingStopsTheClockAtTheTopicBehind() {
        var progress = PartitionProgress(idleAfter: .seconds(10), topicIdleAfter: .seconds(120))
        progress.refresh(
            assignment: [TopicPartition(topic: "obs.traffic", partition: 0), TopicPartition(topic: "obs.context", partition: 0)], now: t0)
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base + 9 * Fixtures.step, partition: "obs.context:0")
        progress.delivered("obs.context:0", offset: 3, now: t0 + .seconds(20))
        clock.observe(eventTime: Fixtures.base + 40 * Fixtures.step, partition: "obs.traffic:0")
        progress.delivered("obs.traffic:0", offset: 7, now: t0 + .seconds(30))
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(60)) == Fixtures.base + 10 * Fixtures.step)
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(135)) == Fixtures.base + 10 * Fixtures.step)
        #expect(progress.clockCandidate(clock, now: t0 + .seconds(151)) == Fixtures.base + 41 * Fixtures.step)
    }

    @Test func withoutAnAssignmentTheClockStays() {
        let progress = PartitionProgress()
        var clock = AvailabilityClock()
        clock.observe(eventTime: Fixtures.base, partition: "obs:0")
        #expect(progress.clockCandidate(clock) == nil)
    }
}
