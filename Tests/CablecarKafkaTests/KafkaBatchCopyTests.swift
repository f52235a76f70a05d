import CablecarKafka
import CablecarTestSupport
import Foundation
import Testing

/// Consumed messages are slices of one buffer per fetched batch (`ConsumedBatch`): each must
/// still read as exactly what was produced, whatever its neighbours hold.
@Suite("Kafka consumed batches against a real broker")
struct KafkaBatchCopyTests {
    @Test("keys and values of every size (none, empty, one byte, 64 KiB) come back byte for byte, and outlive the consumer")
    func slicesHoldWhatWasProduced() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic(partitions: 1)
        let producer = try kafka.producer()
        var produced: [(key: [UInt8]?, value: [UInt8])] = []
        for index in 0..<600 {
            let key: [UInt8]? =
                switch index % 4 {
                case 0: nil
                case 1: []
                default: Array("key-\(index)".utf8)
                }
            let length = [0, 1, 200, 65_536][index % 4 == 3 ? (index / 4) % 4 : index % 3]
            let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            produced.append((key, value))
            try await producer.enqueue(topic: topic, key: key, value: value)
        }
        try await producer.flush()

        let consumer = try kafka.consumer(group: TestStack.uniqueName("group"), topics: [topic])
        var received: [KafkaMessage] = []
        while received.count < produced.count, let batch = try await consumer.nextBatch() {
            received += batch
            consumer.markProcessed(batch)
        }
        await consumer.close()
        #expect(received.map(\.offset) == (0..<Int64(produced.count)).map { $0 })
        for (message, expected) in zip(received, produced) {
            #expect(Array(message.value) == expected.value, "value of offset \(message.offset)")
            // librdkafka does not tell an empty key from none: both come back empty or nil.
            #expect(Array(message.key ?? []) == (expected.key ?? []), "key of offset \(message.offset)")
        }
    }

    @Test("committed offsets of partitions this member does not own are read from the group; what lag is measured against")
    func committedOffsetsOfTheGroup() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic(partitions: 2)
        let producer = try kafka.producer()
        for index in 0..<100 {
            _ = try await producer.send(topic: topic, key: Array("k\(index % 7)".utf8), value: Array("\(index)".utf8))
        }
        let group = TestStack.uniqueName("group")
        let reader = try kafka.consumer(group: group, topics: [topic])
        var read: [KafkaMessage] = []
        while read.count < 60, let batch = try await reader.nextBatch() { read += batch }
        // Mark only the first 60 of what arrived: the rest stays uncommitted.
        reader.markProcessed(Array(read.prefix(60)))
        try await reader.commit()
        await reader.close()

        let admin = try KafkaAdmin(configuration: kafka.client, logger: TestStack.logger)
        let ends = try await admin.endOffsets(of: topic)
        // A new member of the same group that has not joined yet still reads the group's offsets.
        let observer = try kafka.consumer(group: group, topics: [topic])
        let partitions = ends.keys.map { TopicPartition(topic: topic, partition: $0) }
        let committed = try await observer.committedOffsets(of: partitions)
        await observer.close()
        #expect(ends.values.reduce(0, +) == 100)
        #expect(Set(committed.keys) == Set(partitions), "one answer per partition, owned or not")
        #expect(committed.values.map { max($0, 0) }.reduce(0, +) == 60)
    }
}
