import ArgumentParser
import CablecarDomain
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
        let produceSeconds = (ContinuousClock.now - produceStart).inSeconds
        await producer.close()

        // The same topic read twice, each time by a new group: in batches, as every streaming
        // service reads it (`StreamWorker`: `nextBatch`, then the batch marked processed), and
        // message by message through the `messages` sequence.
        let batched = try await consume(topic: topic, group: topic + "-batches", messages: messages, client: client, logger: logger) {
            consumer, remaining in
            var received = 0
            while received < remaining, let batch = try await consumer.nextBatch() {
                consumer.markProcessed(batch)
                received += batch.count
            }
            return received
        }
        let each = try await consume(topic: topic, group: topic + "-each", messages: messages, client: client, logger: logger) {
            consumer, remaining in
            var received = 0
            for try await message in consumer.messages {
                consumer.markProcessed(message)
                received += 1
                if received == remaining { break }
            }
            return received
        }
        print(
            String(
                format: "swift-wrapper produce %d msgs in %.3f s = %.0f msg/s", messages, produceSeconds, Double(messages) / produceSeconds)
        )
        for (name, (received, seconds)) in [("consume", batched), ("consume-each", each)] {
            print(String(format: "swift-wrapper %@ %d msgs in %.3f s = %.0f msg/s", name, received, seconds, Double(received) / seconds))
        }
    }

    /// Messages received and seconds from the first one to the last, for one consumer group.
    private func consume(
        topic: String, group: String, messages: Int, client: KafkaClientConfiguration, logger: Logger,
        _ read: (KafkaConsumer, Int) async throws -> Int
    ) async throws -> (Int, Double) {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: group, bufferCapacity: 50_000), logger: logger)
        try consumer.subscribe(to: [topic])
        // The clock starts once the first batch is in, as the plain client's starts with its
        // first message: the group join before it is the broker's, not the wrapper's. That
        // batch is not counted, since it may hold messages fetched before the clock started.
        let first = try await consumer.nextBatch() ?? []
        let start = ContinuousClock.now
        consumer.markProcessed(first)
        let received = first.count < messages ? try await read(consumer, messages - first.count) : 0
        let seconds = (ContinuousClock.now - start).inSeconds
        await consumer.close()
        return (received, seconds)
    }
}
