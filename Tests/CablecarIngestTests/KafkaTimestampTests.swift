import CablecarKafka
import CablecarTestSupport
import Testing

/// Ingest judges "future" event times against the Kafka timestamp (the publish time), so the
/// producer must be able to set it and the consumer must read it back intact.
@Test("a producer-set timestamp arrives unchanged at the consumer")
func producerTimestampRoundTrip() async throws {
    let brokers = try await TestStack.shared.endpoints().kafkaBrokers
    let client = KafkaClientConfiguration(brokers: brokers)
    let topic = TestStack.uniqueName("ts")
    try await KafkaAdmin(configuration: client, logger: TestStack.logger).ensureTopics([TopicSpecification(name: topic, partitions: 1)])
    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: TestStack.logger)
    try await producer.enqueue(topic: topic, key: [1], value: [2], timestamp: 1_741_017_600_000)
    try await producer.enqueue(topic: topic, key: [1], value: [3])
    try await producer.flush()
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(client: client, groupID: TestStack.uniqueName("g")), logger: TestStack.logger)
    try consumer.subscribe(to: [topic])
    var messages: [KafkaMessage] = []
    while messages.count < 2, let batch = try await consumer.nextBatch() { messages += batch }
    await consumer.close()
    #expect(messages.map(\.value) == [[2], [3]])
    #expect(messages.first?.timestamp == 1_741_017_600_000)
    #expect((messages.last?.timestamp ?? 0) > 1_700_000_000_000, "without a timestamp the current time is used")
}
