import CablecarKafka
import CablecarTestSupport
import Foundation
import Synchronization
import Testing

/// `kill -9` of the broker while a consumer fetches and a producer sends, three times over. The
/// local broker comes back without its topics, and librdkafka 2.8.0 then met a Fetch reply's
/// leader change that named its topic by a zero id, looked the topic up by a NULL name and
/// crashed: every service of the stack died of SIGSEGV within seconds of the broker's return
/// (`scripts/patches/librdkafka-2.8.0-leader-change-without-topic-id.patch`). Such a crash takes
/// the test process with it, so this test fails loudly, not with an expectation.
@Suite("Clients across kill -9 of the broker", .serialized)
struct BrokerKillTests {
    @Test func aConsumerAndAProducerOutliveTheBrokerKilledThreeTimes() async throws {
        let broker = try await DedicatedBroker.launch()
        let kafka = KafkaTestContext(brokers: broker.brokers)
        let topics = (0..<3).map { _ in TestStack.uniqueName("kill-topic") }
        try await createTopics(topics, kafka: kafka)
        let consumer = try kafka.consumer(group: TestStack.uniqueName("kill-group"), topics: topics)
        let seenRounds = Mutex<Set<String>>([])
        let consuming = Task {
            for try await message in consumer.messages {
                if let body = Numbered(message.value) { seenRounds.withLock { _ = $0.insert(body.key) } }
                consumer.markProcessed(message)
            }
        }
        defer { consuming.cancel() }
        let producer = try kafka.producer()

        for round in 0...3 {
            if round > 0 {
                broker.kill()
                try await Task.sleep(for: .seconds(2))
                try await offThePool { try broker.start() }
                try await createTopics(topics, kafka: kafka)
            }
            let key = "round\(round)"
            try await eventually(timeout: .seconds(120), "the consumer saw nothing of \(key) after the broker's restart") {
                for (index, topic) in topics.enumerated() {
                    let body = Numbered(key: key, sequence: index)
                    try? await producer.enqueue(topic: topic, key: Array("k\(index)".utf8), value: body.bytes)
                }
                try? await producer.flush()
                return seenRounds.withLock { $0.contains(key) }
            }
        }
        await consumer.close()
    }

    private func createTopics(_ names: [String], kafka: KafkaTestContext) async throws {
        let admin = try KafkaAdmin(configuration: kafka.client, logger: TestStack.logger)
        try await admin.ensureTopics(names.map { TopicSpecification(name: $0, partitions: 3) }, timeout: .seconds(60))
    }
}
