import CablecarKafka
import CablecarTestSupport
import Foundation
import Synchronization
import Testing

/// An idempotent producer whose broker restarts with its state gone (the local broker keeps it
/// in memory) either gets OUT_OF_ORDER_SEQUENCE_NUMBER, and librdkafka declares the client fatal,
/// or stays stuck with every delivery timing out. Either way the producer replaces its client and
/// says so once, as a retryable error.
@Suite("A producer outlives a broker that forgot it", .serialized)
struct ProducerResetTests {
    @Test("after the broker restarts empty, the stuck or fatal client is replaced and the batch sent again arrives")
    func producerSurvivesBrokerRestart() async throws {
        let broker = try await DedicatedBroker.launch()
        let context = KafkaTestContext(brokers: broker.brokers)
        let topic = try await context.createTopic(partitions: 1)
        let producer = try context.producer(deliveryTimeoutMilliseconds: 5_000)
        for sequence in 0..<20 {
            try await producer.enqueue(topic: topic, key: Array("k".utf8), value: Numbered(key: "k", sequence: sequence).bytes)
        }
        try await producer.flush()

        try await offThePool { broker.stop() }
        try await offThePool { try broker.start() }
        _ = try await context.createTopic(partitions: 1)  // the broker is up and answering
        let admin = try KafkaAdmin(configuration: context.client, logger: TestStack.logger)
        try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 1)])

        // Send the batch until a flush goes through, as a stream worker retries a batch.
        var resets = 0
        var attempts = 0
        while true {
            attempts += 1
            do {
                for sequence in 20..<40 {
                    try await producer.enqueue(topic: topic, key: Array("k".utf8), value: Numbered(key: "k", sequence: sequence).bytes)
                }
                try await producer.flush()
                break
            } catch is KafkaProducerReset {
                resets += 1
            } catch let error as KafkaError where !error.isPermanent {
                // Timed out (the stuck client is replaced meanwhile) or the broker still settling.
                print("producer: attempt \(attempts) failed: \(error)")
            }
            #expect(attempts < 20, "the producer never recovered")
            if attempts >= 20 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        print("producer: \(resets) reset(s), \(attempts) attempt(s) after the broker restart")
        #expect(attempts <= 3, "a new client delivers at once (the stuck one timed out, the first retry may meet a settling broker)")

        let consumer = try context.consumer(group: TestStack.uniqueName("reset-reader"), topics: [topic])
        let seen = Mutex<Set<Int>>([])
        let reader = Task {
            while let batch = try await consumer.nextBatch() {
                seen.withLock { set in for message in batch { if let numbered = Numbered(message.value) { set.insert(numbered.sequence) } }
                }
            }
        }
        try await eventually(timeout: .seconds(60), "the batch sent again did not arrive") {
            seen.withLock { Set(20..<40).isSubset(of: $0) }
        }
        await consumer.close()
        _ = try? await reader.value
        await producer.close()
    }
}
