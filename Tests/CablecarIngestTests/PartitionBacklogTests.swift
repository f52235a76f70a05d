import CablecarDomain
import CablecarKafka
import CablecarService
import Synchronization
import Testing

@testable import CablecarIngest

/// When a silent partition may stop holding emission back: only with nothing left to read.
struct PartitionBacklogTests {
    let loop0 = TopicPartition(topic: "city.raw.loop", partition: 0)
    let loop1 = TopicPartition(topic: "city.raw.loop", partition: 1)

    @Test func aPartitionReadToItsEndIsNotBackloggedAndOneWithUnreadMessagesIs() {
        let backlogged = PartitionBacklog.backlogged(
            candidates: ["city.raw.loop:0", "city.raw.loop:1"], handled: ["city.raw.loop:0": 99, "city.raw.loop:1": 41],
            ends: [loop0: 100, loop1: 57])
        #expect(backlogged == ["city.raw.loop:1"])
    }

    @Test func aPartitionNobodyHandledIsBackloggedOnlyWhenItHoldsMessages() {
        let backlogged = PartitionBacklog.backlogged(
            candidates: ["city.raw.loop:0", "city.raw.loop:1"], handled: [:], ends: [loop0: 0, loop1: 3])
        #expect(backlogged == ["city.raw.loop:1"])
    }

    @Test func aPartitionTheBrokerDidNotAnswerForCountsAsBacklogged() {
        let backlogged = PartitionBacklog.backlogged(
            candidates: ["city.raw.loop:0", "city.raw.loop:1"], handled: ["city.raw.loop:0": 99, "city.raw.loop:1": 99],
            ends: [loop0: 100])
        #expect(backlogged == ["city.raw.loop:1"])
    }

    /// A broker whose remembered answer predates the latest readings, as after a quiet spell.
    final class RememberingBroker: PartitionEnds {
        let remembered: [TopicPartition: Int64]
        let current: [TopicPartition: Int64]
        let freshQuestions = Mutex<[[TopicPartition]]>([])

        init(remembered: [TopicPartition: Int64], current: [TopicPartition: Int64]) {
            self.remembered = remembered
            self.current = current
        }

        func highWatermarks(of partitions: [TopicPartition], maximumAge: Duration) async throws -> [TopicPartition: Int64] {
            guard maximumAge == .zero else { return remembered }
            freshQuestions.withLock { $0.append(partitions) }
            return current
        }
    }

    @Test func aRememberedEndMayConfirmABacklogButNeverThatAPartitionIsReadToItsEnd() async throws {
        // Before the replay resumed both partitions ended at 100 and were read to there; since,
        // loop:0 has 50 new readings, and loop:1 (remembered at 120) still has its backlog.
        let broker = RememberingBroker(remembered: [loop0: 100, loop1: 120], current: [loop0: 150, loop1: 120])
        let backlogged = try await PartitionBacklog.backlogged(
            ["city.raw.loop:0", "city.raw.loop:1"], handled: ["city.raw.loop:0": 99, "city.raw.loop:1": 99], ends: broker)
        #expect(backlogged == ["city.raw.loop:0", "city.raw.loop:1"])
        #expect(broker.freshQuestions.withLock { $0 } == [[loop0]], "only the partition that looked read to its end was asked again")

        let caughtUp = RememberingBroker(remembered: [loop0: 100], current: [loop0: 100])
        #expect(try await PartitionBacklog.backlogged(["city.raw.loop:0"], handled: ["city.raw.loop:0": 99], ends: caughtUp).isEmpty)
    }

    /// A sparse feed far behind its stream becomes a candidate after a short quiet spell from
    /// falling behind, not the idle period; streams are judged apart.
    @Test func aPartitionLeftBehindByItsStreamIsACandidateAfterTheQuietSpell() {
        let t0: EpochMillis = 1_741_000_000_000
        var sparse = SparsePartitions(behindMillis: 240_000, quietMillis: 5_000)
        func progress(eventsActiveAt: EpochMillis) -> [String: [String: PartitionProgress]] {
            [
                "context": [
                    "raw.weather:0": PartitionProgress(newestEventTime: t0, activeAt: eventsActiveAt),
                    "raw.gps:1": PartitionProgress(newestEventTime: t0 - 60_000, activeAt: eventsActiveAt),
                    "raw.events:2": PartitionProgress(newestEventTime: t0 - 3 * 3_600_000, activeAt: 500),
                ],
                "traffic": [
                    "raw.loop:0": PartitionProgress(newestEventTime: t0 - 3 * 3_600_000, activeAt: 500),
                    "raw.loop:1": PartitionProgress(newestEventTime: t0 - 3 * 3_600_000 + 100_000, activeAt: 500),
                ],
            ]
        }
        #expect(sparse.candidates(progress(eventsActiveAt: 900), startedAt: 0, now: 1_000).isEmpty, "just fell behind: not yet")
        #expect(sparse.candidates(progress(eventsActiveAt: 5_900), startedAt: 0, now: 5_999).isEmpty)
        #expect(sparse.candidates(progress(eventsActiveAt: 5_900), startedAt: 0, now: 6_000) == ["raw.events:2"])
        #expect(
            sparse.candidates(progress(eventsActiveAt: 5_900), startedAt: 4_000, now: 8_000).isEmpty, "a restart starts the spell again")
    }

    /// A feed that keeps delivering, however far behind, keeps holding; one that catches up and
    /// falls behind again starts its spell again.
    @Test func aPartitionDeliveringOrCaughtUpIsNotACandidate() {
        let t0: EpochMillis = 1_741_000_000_000
        var sparse = SparsePartitions(behindMillis: 240_000, quietMillis: 5_000)
        func progress(camera: EpochMillis, activeAt: EpochMillis) -> [String: [String: PartitionProgress]] {
            [
                "traffic": [
                    "raw.loop:0": PartitionProgress(newestEventTime: t0, activeAt: activeAt),
                    "raw.camera:0": PartitionProgress(newestEventTime: camera, activeAt: activeAt),
                ]
            ]
        }
        let behind = t0 - 600_000
        #expect(sparse.candidates(progress(camera: behind, activeAt: 0), startedAt: 0, now: 1_000).isEmpty)
        #expect(sparse.candidates(progress(camera: behind, activeAt: 9_000), startedAt: 0, now: 10_000).isEmpty, "still delivering")
        #expect(sparse.candidates(progress(camera: t0, activeAt: 11_000), startedAt: 0, now: 11_000).isEmpty, "caught up")
        #expect(sparse.candidates(progress(camera: behind, activeAt: 11_000), startedAt: 0, now: 15_000).isEmpty, "behind again since 15 s")
        #expect(sparse.candidates(progress(camera: behind, activeAt: 11_000), startedAt: 0, now: 19_999).isEmpty)
        #expect(sparse.candidates(progress(camera: behind, activeAt: 11_000), startedAt: 0, now: 20_000) == ["raw.camera:0"])
    }

    /// A raw partition that never carried a reading (an events partition with no event yet) is
    /// behind a stream that has progress: a candidate after the quiet spell from start-up, not
    /// after the idle period, so a restart does not hold its stream back for a minute.
    @Test func aPartitionThatNeverCarriedAReadingIsACandidateAfterTheQuietSpell() {
        let t0: EpochMillis = 1_741_000_000_000
        var sparse = SparsePartitions(behindMillis: 240_000, quietMillis: 5_000)
        let expected: [Feed.Stream: Set<String>] = [
            .context: ["raw.weather:0", "raw.events:0", "raw.events:1"], .traffic: ["raw.loop:0", "raw.loop:1"],
        ]
        let progress = [
            "context": [
                "raw.weather:0": PartitionProgress(newestEventTime: t0, activeAt: 9_000),
                "raw.events:0": PartitionProgress(newestEventTime: t0 - 60_000, activeAt: 9_000),
            ]
        ]
        // Restarted at 2 s; the traffic stream has no progress yet, so its partitions are not behind anything.
        #expect(sparse.candidates(progress, expected: expected, startedAt: 2_000, now: 3_000).isEmpty)
        #expect(sparse.candidates(progress, expected: expected, startedAt: 2_000, now: 7_999).isEmpty, "4.999 s since the start")
        #expect(sparse.candidates(progress, expected: expected, startedAt: 2_000, now: 8_000) == ["raw.events:1"])
        var restarted = SparsePartitions(behindMillis: 240_000, quietMillis: 5_000)
        #expect(
            restarted.candidates(progress, expected: expected, startedAt: 7_000, now: 8_000).isEmpty, "a restart starts the spell again")
        #expect(restarted.candidates(progress, expected: expected, startedAt: 7_000, now: 13_000) == ["raw.events:1"])
    }

    @Test func namesSplitAtTheirLastColonAndMalformedOnesAreRefused() {
        #expect(PartitionBacklog.topicPartition("a:b.raw.loop:2") == TopicPartition(topic: "a:b.raw.loop", partition: 2))
        #expect(PartitionBacklog.topicPartition("city.raw.loop") == nil)
        #expect(PartitionBacklog.topicPartition("city.raw.loop:-1") == nil)
        #expect(PartitionBacklog.topicPartition("city.raw.loop:x") == nil)
    }

    @Test func silenceMakesACandidateOnlyAfterTheIdlePeriodCountedFromStartUpAtTheEarliest() {
        let progress = [
            "traffic": [
                "city.raw.loop:0": PartitionProgress(newestEventTime: 0, activeAt: 1_000),
                "city.raw.loop:1": PartitionProgress(newestEventTime: 0, activeAt: 9_000),
            ]
        ]
        let expected: [Feed.Stream: Set<String>] = [.traffic: ["city.raw.loop:0", "city.raw.loop:1", "city.raw.loop:2"]]
        // Started at 2 s: loop:0 last accepted at 1 s counts from 2 s; loop:2 never wrote progress.
        let early = PartitionBacklog.idleCandidates(progress, expected: expected, idleAfterMillis: 5_000, startedAt: 2_000, now: 7_500)
        #expect(early == ["city.raw.loop:0", "city.raw.loop:2"], "silent for 5.5 s of a 5 s idle period")
        let sooner = PartitionBacklog.idleCandidates(progress, expected: expected, idleAfterMillis: 5_000, startedAt: 2_000, now: 6_500)
        #expect(sooner.isEmpty, "4.5 s of silence is not yet the idle period")
        let later = PartitionBacklog.idleCandidates(progress, expected: expected, idleAfterMillis: 5_000, startedAt: 2_000, now: 14_500)
        #expect(later == ["city.raw.loop:0", "city.raw.loop:1", "city.raw.loop:2"])
        #expect(PartitionBacklog.idleCandidates(progress, expected: expected, idleAfterMillis: nil, startedAt: 0, now: 99_000).isEmpty)
    }
}
