import CablecarKafka
import CablecarTestSupport
import Foundation
import Testing

@Suite("Consumer-group recovery against a real broker")
struct KafkaRecoveryTests {
    /// Consumes until `limit` messages are processed, then stops the consumer by `stop`.
    private func consumeHalf(
        kafka: KafkaTestContext, topic: String, group: String, limit: Int, commitIntervalMilliseconds: Int = 1_000,
        stop: (KafkaConsumer) async -> Void
    ) async throws -> FirstMember {
        let consumer = try kafka.consumer(
            group: group, topics: [topic], bufferCapacity: 100, commitIntervalMilliseconds: commitIntervalMilliseconds)
        var member = FirstMember()
        for try await message in consumer.messages {
            let body = try #require(Numbered(message.value))
            member.processed.insert(body)
            member.positions[body] = (message.partition, message.offset)
            consumer.markProcessed(message)
            if member.processed.count == limit { break }
        }
        member.rebalances = consumer.rebalanceCount
        await stop(consumer)
        return member
    }

    struct FirstMember {
        var processed = Set<Numbered>()
        var positions: [Numbered: (partition: Int32, offset: Int64)] = [:]
        var rebalances = 0
    }

    private func consumeRest(kafka: KafkaTestContext, topic: String, group: String, alreadySeen: Set<Numbered>, total: Int)
        async throws -> (all: Set<Numbered>, redelivered: Int, firstOffsets: [Int32: Int64])
    {
        let consumer = try kafka.consumer(group: group, topics: [topic])
        var all = alreadySeen
        var redelivered = 0
        var firstOffsets: [Int32: Int64] = [:]
        for try await message in consumer.messages {
            let body = try #require(Numbered(message.value))
            if firstOffsets[message.partition] == nil { firstOffsets[message.partition] = message.offset }
            if alreadySeen.contains(body) { redelivered += 1 }
            all.insert(body)
            consumer.markProcessed(message)
            if all.count == total { break }
        }
        await consumer.close()
        return (all, redelivered, firstOffsets)
    }

    private func produce(kafka: KafkaTestContext, topic: String, total: Int) async throws {
        let producer = try kafka.producer()
        for index in 0..<total {
            let body = Numbered(key: "k\(index % 20)", sequence: index)
            try await producer.enqueue(topic: topic, key: Array(body.key.utf8), value: body.bytes)
        }
        try await producer.flush()
    }

    @Test("a consumer closed after half resumes in a new member after the last committed offset")
    func resumesAfterCleanStop() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic()
        let total = 2_000
        try await produce(kafka: kafka, topic: topic, total: total)
        let group = TestStack.uniqueName("resume")
        let firstHalf = try await consumeHalf(kafka: kafka, topic: topic, group: group, limit: total / 2) { await $0.close() }.processed
        let (all, redelivered, _) = try await consumeRest(kafka: kafka, topic: topic, group: group, alreadySeen: firstHalf, total: total)
        #expect(all.count == total, "no message may be lost")
        // A clean close commits everything processed, so nothing processed is seen again.
        #expect(redelivered == 0)
        print("clean stop: processed \(firstHalf.count) before stopping, redelivered \(redelivered)")
    }

    @Test("a consumer that crashes after half loses nothing; uncommitted work is redelivered")
    func resumesAfterCrash() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic()
        let total = 2_000
        try await produce(kafka: kafka, topic: topic, total: total)
        let group = TestStack.uniqueName("crash")
        // A commit interval longer than the test: only a rebalance (which commits on revoke) can
        // commit before the crash, so exactly the processed-but-uncommitted work must come back.
        let first = try await consumeHalf(
            kafka: kafka, topic: topic, group: group, limit: total / 2, commitIntervalMilliseconds: 600_000
        ) { $0.abandon() }
        let firstHalf = first.processed
        let (all, redelivered, firstOffsets) = try await consumeRest(
            kafka: kafka, topic: topic, group: group, alreadySeen: firstHalf, total: total)
        #expect(all.count == total, "no message may be lost")
        let processedEnd = Dictionary(first.positions.values.map { ($0.partition, $0.offset + 1) }, uniquingKeysWith: max)
        for (partition, resumedAt) in firstOffsets {
            // Never past what was processed: an uncommitted offset can only be re-read, not skipped.
            #expect(resumedAt <= processedEnd[partition] ?? 0, "partition \(partition) resumed at \(resumedAt)")
            if first.rebalances == 1 {
                // Only the initial assignment, so nothing was committed: the new member starts over.
                #expect(resumedAt == 0, "partition \(partition) resumed at \(resumedAt) though nothing was committed")
            }
        }
        #expect(!firstOffsets.isEmpty)
        print(
            "crash: processed \(firstHalf.count) before crashing (\(first.rebalances) rebalance callbacks), redelivered \(redelivered) (at-least-once)"
        )
    }
}
