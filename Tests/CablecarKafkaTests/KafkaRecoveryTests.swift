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
    ) async throws -> Set<Numbered> {
        let consumer = try kafka.consumer(
            group: group, topics: [topic], bufferCapacity: 100, commitIntervalMilliseconds: commitIntervalMilliseconds)
        var processed = Set<Numbered>()
        for try await message in consumer.messages {
            processed.insert(try #require(Numbered(message.value)))
            consumer.markProcessed(message)
            if processed.count == limit { break }
        }
        await stop(consumer)
        return processed
    }

    private func consumeRest(kafka: KafkaTestContext, topic: String, group: String, alreadySeen: Set<Numbered>, total: Int)
        async throws -> (all: Set<Numbered>, redelivered: Int)
    {
        let consumer = try kafka.consumer(group: group, topics: [topic])
        var all = alreadySeen
        var redelivered = 0
        for try await message in consumer.messages {
            let body = try #require(Numbered(message.value))
            if alreadySeen.contains(body) { redelivered += 1 }
            all.insert(body)
            consumer.markProcessed(message)
            if all.count == total { break }
        }
        await consumer.close()
        return (all, redelivered)
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
        let firstHalf = try await consumeHalf(kafka: kafka, topic: topic, group: group, limit: total / 2) { await $0.close() }
        let (all, redelivered) = try await consumeRest(kafka: kafka, topic: topic, group: group, alreadySeen: firstHalf, total: total)
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
        // A commit interval longer than the test: the crash comes before any background commit,
        // so everything processed must come back.
        let firstHalf = try await consumeHalf(
            kafka: kafka, topic: topic, group: group, limit: total / 2, commitIntervalMilliseconds: 600_000
        ) { $0.abandon() }
        let (all, redelivered) = try await consumeRest(kafka: kafka, topic: topic, group: group, alreadySeen: firstHalf, total: total)
        #expect(all.count == total, "no message may be lost")
        #expect(redelivered == firstHalf.count)
        print("crash: processed \(firstHalf.count) before crashing, redelivered \(redelivered) (at-least-once)")
    }
}
