import ArgumentParser
import CablecarKafka
import Foundation
import Logging

/// Produces and consumes N messages through the Swift wrapper and prints messages/s, in the
/// same format as Benchmarks/kafka-peer (plain librdkafka), so scripts/bench-kafka can compare.
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kafka", abstract: "Kafka wrapper throughput.")
    @Option(help: "Broker list.") var brokers = "127.0.0.1:19092"
    @Option var messages = 1_000_000
    @Option(help: "Payload bytes.") var size = 200
    @Option var partitions = 3

    func run() async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = .warning
        let client = KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-bench")
        let topic = "bench-swift-\(UUID().uuidString.prefix(8).lowercased())"
        try await KafkaAdmin(configuration: client, logger: logger).ensureTopics([TopicSpecification(name: topic, partitions: partitions)])
        let payload = [UInt8](repeating: 0x61, count: size)
        // Keys as a caller holds them (segment ids): made once, not per message.
        let keys = (0..<1000).map { Array(String($0).utf8) }

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 5, compression: "none"), logger: logger)
        let produceStart = ContinuousClock.now
        for index in 0..<messages {
            try await producer.enqueue(topic: topic, key: keys[index % 1000], value: payload)
        }
        try await producer.flush(timeout: .seconds(300))
        let produceSeconds = (ContinuousClock.now - produceStart).seconds
        await producer.close()

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: topic + "-group", bufferCapacity: 50_000), logger: logger)
        try consumer.subscribe(to: [topic])
        var received = 0
        var consumeStart: ContinuousClock.Instant?
        for try await message in consumer.messages {
            if consumeStart == nil { consumeStart = .now }
            consumer.markProcessed(message)
            received += 1
            if received == messages { break }
        }
        let consumeSeconds = (ContinuousClock.now - (consumeStart ?? .now)).seconds
        await consumer.close()
        print(
            String(
                format: "swift-wrapper produce %d msgs in %.3f s = %.0f msg/s", messages, produceSeconds, Double(messages) / produceSeconds)
        )
        print(
            String(
                format: "swift-wrapper consume %d msgs in %.3f s = %.0f msg/s", received, consumeSeconds, Double(received) / consumeSeconds)
        )
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
