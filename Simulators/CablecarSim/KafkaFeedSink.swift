import CablecarDomain
import CablecarKafka
import CablecarSimulation
import Logging

/// Publishes replayed records to their `raw.*` topics, creating the topics when missing. The
/// Kafka timestamp is the simulated publish time: ingest judges "from the future" against it.
/// Records are enqueued (librdkafka batches them) and each batch is flushed, so a replay
/// that returns has had every record acknowledged by the broker.
final class KafkaFeedSink: FeedSink {
    private let producer: KafkaProducer
    private let topicPrefix: String

    init(brokers: String, partitions: Int, topicPrefix: String, logger: Logger) async throws {
        self.topicPrefix = topicPrefix
        let client = KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-sim")
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        try await admin.ensureTopics(Topic.rawFeeds.map { TopicSpecification(name: topicPrefix + $0.rawValue, partitions: partitions) })
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 20), logger: logger)
    }

    func publish(_ records: [FeedRecord]) async throws {
        for record in records {
            try await producer.enqueue(
                topic: topicPrefix + record.topic.rawValue, key: record.key, value: record.value, timestamp: record.publishTime)
        }
        try await producer.flush()
    }

    func finish() async throws {
        try await producer.flush()
        await producer.close()
    }
}
