import CablecarKafka
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

    @Test func namesSplitAtTheirLastColonAndMalformedOnesAreRefused() {
        #expect(PartitionBacklog.topicPartition("a:b.raw.loop:2") == TopicPartition(topic: "a:b.raw.loop", partition: 2))
        #expect(PartitionBacklog.topicPartition("city.raw.loop") == nil)
        #expect(PartitionBacklog.topicPartition("city.raw.loop:-1") == nil)
        #expect(PartitionBacklog.topicPartition("city.raw.loop:x") == nil)
    }
}
