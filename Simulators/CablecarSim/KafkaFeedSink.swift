import CablecarDomain
import CablecarKafka
import CablecarSimulation
import Logging
import Synchronization

/// Publishes replayed records to their `raw.*` topics, creating the topics when missing. The
/// Kafka timestamp is the simulated publish time: ingest judges "from the future" against it.
/// Records are enqueued (librdkafka batches them) and each batch is flushed, so a replay
/// that returns has had every record acknowledged by the broker.
///
/// A batch the broker did not acknowledge (it stalled, restarted, or was down) is sent again
/// whole, after a back-off, until `patience` has passed (and the topics are created as patiently): measured, a broker paused for 30 s
/// ended a replay with "flushing 523 outstanding messages failed" while every service rode it
/// out. Sending a batch again is at-least-once: records the broker had already taken arrive
/// twice and ingest counts the copies as duplicates, so its accounting still adds up; the
/// summary says how many records were sent again.
final class KafkaFeedSink: FeedSink {
    private let producer: KafkaProducer
    private let admin: KafkaAdmin
    private let topics: [TopicSpecification]
    private let topicPrefix: String
    private let patience: Duration
    private let logger: Logger
    private let resent = Mutex((batches: 0, records: 0))

    init(brokers: String, partitions: Int, topicPrefix: String, patience: Duration, logger: Logger) async throws {
        self.topicPrefix = topicPrefix
        self.patience = patience
        self.logger = logger
        let client = KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-sim")
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        let topics = Topic.rawFeeds.map { TopicSpecification(name: topicPrefix + $0.rawValue, partitions: partitions) }
        // A replay started while the broker restarts waits for it as a batch would.
        try await Self.patiently(patience, "creating the raw topics", logger: logger) { try await admin.ensureTopics(topics) }
        self.admin = admin
        self.topics = topics
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 20), logger: logger)
    }

    func publish(_ records: [FeedRecord]) async throws {
        var attempt = 0
        try await Self.patiently(patience, "sending a batch of \(records.count) records", logger: logger) {
            attempt += 1
            if attempt > 1 {
                // A broker that restarted without its state has lost the topics too.
                try? await admin.ensureTopics(topics)
                resent.withLock {
                    $0.batches += 1
                    $0.records += records.count
                }
            }
            try await send(records)
        }
    }

    /// Runs `body` until it succeeds, waiting out errors a broker that comes back fixes.
    private static func patiently(
        _ patience: Duration, _ what: String, logger: Logger, _ body: () async throws -> Void
    ) async throws {
        try await Patience(patience).run(body, isTransient: isRetryable) { error, delay in
            logger.warning(
                "The broker did not answer; trying again", metadata: ["what": "\(what)", "error": "\(error)", "retry_in": "\(delay)"])
        }
    }

    private func send(_ records: [FeedRecord]) async throws {
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

    /// A line for the replay's summary when batches were sent again, else nil.
    var resentSummary: String? {
        let resent = resent.withLock { $0 }
        guard resent.batches > 0 else { return nil }
        return "sent again after broker errors: \(resent.batches) batch(es), \(resent.records) records "
            + "(at-least-once: ingest counts copies the broker had already taken as duplicates)"
    }

    static func isRetryable(_ error: any Error) -> Bool {
        if error is KafkaProducerReset { return true }
        if let kafka = error as? KafkaError { return !kafka.isPermanent }
        return false
    }
}
