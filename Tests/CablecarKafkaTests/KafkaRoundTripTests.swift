import CablecarKafka
import CablecarTestSupport
import Foundation
import Testing

@Suite("Kafka producer and consumer against a real broker")
struct KafkaRoundTripTests {
    @Test("10,000 keyed messages on 3 partitions: all consumed, per-key order kept")
    func keyedMessagesArriveInOrder() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic(partitions: 3)
        let producer = try kafka.producer()
        let keys = (0..<50).map { "segment-\($0)" }
        let total = 10_000
        for index in 0..<total {
            let message = Numbered(key: keys[index % keys.count], sequence: index / keys.count)
            try await producer.enqueue(topic: topic, key: Array(message.key.utf8), value: message.bytes)
        }
        try await producer.flush()
        #expect(producer.statistics.delivered == total)
        #expect(producer.statistics.failed == 0)

        let consumer = try kafka.consumer(group: TestStack.uniqueName("group"), topics: [topic])
        var lastSequence: [String: Int] = [:]
        var partitionsByKey: [String: Set<Int32>] = [:]
        var seen = Set<Numbered>()
        var outOfOrder = 0
        for try await message in consumer.messages {
            let body = try #require(Numbered(message.value))
            #expect(message.keyString == body.key)
            if let last = lastSequence[body.key], body.sequence <= last { outOfOrder += 1 }
            lastSequence[body.key] = body.sequence
            partitionsByKey[body.key, default: []].insert(message.partition)
            seen.insert(body)
            consumer.markProcessed(message)
            if seen.count == total { break }
        }
        await consumer.close()
        #expect(seen.count == total)
        #expect(outOfOrder == 0)
        // One key, one partition: that is what makes per-key order possible.
        #expect(partitionsByKey.values.allSatisfy { $0.count == 1 })
        #expect(Set(partitionsByKey.values.flatMap { $0 }).count == 3)
    }

    @Test("send awaits the delivery report with partition and offset")
    func sendReturnsDeliveryReport() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic(partitions: 1)
        let producer = try kafka.producer()
        let first = try await producer.send(topic: topic, key: Array("k".utf8), value: Array("one".utf8))
        let second = try await producer.send(topic: topic, key: Array("k".utf8), value: Array("two".utf8))
        #expect(first.topic == topic)
        #expect(first.partition == 0)
        #expect(second.offset == first.offset + 1)
    }

    @Test("ensureTopics creates missing topics with their partitions and tolerates existing ones")
    func ensureTopicsIsIdempotent() async throws {
        let kafka = try await KafkaTestContext.make()
        let admin = try KafkaAdmin(configuration: kafka.client, logger: TestStack.logger)
        let name = TestStack.uniqueName("admin-topic")
        try await admin.ensureTopics([TopicSpecification(name: name, partitions: 4)])
        try await admin.ensureTopics([TopicSpecification(name: name, partitions: 4)])
        #expect(try await admin.partitionCount(of: name) == 4)
        #expect(await admin.ping())
    }
}
