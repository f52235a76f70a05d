import CablecarKafka
import CablecarTestSupport
import Foundation

/// Producers, consumers and topics against the test process's real broker.
struct KafkaTestContext {
    let brokers: String

    static func make() async throws -> KafkaTestContext {
        KafkaTestContext(brokers: try await TestStack.shared.endpoints().kafkaBrokers)
    }

    var client: KafkaClientConfiguration { KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-tests") }

    func producer(deliveryTimeoutMilliseconds: Int = 30_000) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: client, deliveryTimeoutMilliseconds: deliveryTimeoutMilliseconds),
            logger: TestStack.logger)
    }

    func consumer(
        group: String, topics: [String], bufferCapacity: Int = 2_000, commitIntervalMilliseconds: Int = 1_000,
        instanceID: String? = nil
    ) throws -> KafkaConsumer {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: group, bufferCapacity: bufferCapacity, commitIntervalMilliseconds: commitIntervalMilliseconds,
                groupInstanceID: instanceID),
            logger: TestStack.logger)
        try consumer.subscribe(to: topics)
        return consumer
    }

    func createTopic(partitions: Int = 3) async throws -> String {
        let name = TestStack.uniqueName("test-topic")
        let admin = try KafkaAdmin(configuration: client, logger: TestStack.logger)
        try await admin.ensureTopics([TopicSpecification(name: name, partitions: partitions)])
        return name
    }
}

/// A message body that says which key it belongs to and its position in that key's sequence.
struct Numbered: Codable, Hashable {
    let key: String
    let sequence: Int

    var bytes: [UInt8] { Array("\(key):\(sequence)".utf8) }

    init(key: String, sequence: Int) {
        self.key = key
        self.sequence = sequence
    }

    init?(_ bytes: some Collection<UInt8>) {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, let sequence = Int(parts[1]) else { return nil }
        self.init(key: String(parts[0]), sequence: sequence)
    }
}
