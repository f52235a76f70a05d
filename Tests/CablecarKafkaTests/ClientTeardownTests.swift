import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarKafka

/// Dropping a Kafka client leaves its teardown (the poll thread's last poll, `rd_kafka_destroy`
/// joining librdkafka's threads) to a thread of its own. Torn down in
/// place, it held one of the concurrency pool's few threads for as long as it took, and thread
/// dumps of a CI test run found the pool's threads waiting there in a fifth of the samples.
@Suite("Kafka clients are torn down off the caller's thread")
struct ClientTeardownTests {
    @Test func droppingAClientDoesNotWaitForItsTeardown() async throws {
        let kafka = try await KafkaTestContext.make()
        let topic = try await kafka.createTopic(partitions: 1)

        var admin: KafkaAdmin? = try KafkaAdmin(configuration: kafka.client, logger: TestStack.logger)
        #expect(try await admin?.partitionCount(of: topic) == 1)
        let adminTeardown = try #require(admin?.teardown)
        let adminDrop = drop { admin = nil }

        var producer: KafkaProducer? = try kafka.producer()
        try await producer?.enqueue(topic: topic, key: nil, value: Array("one".utf8))
        try await producer?.flush()
        let producerTeardown = try #require(producer?.clientTeardown)
        await producer?.close(timeout: .seconds(30))
        let producerDrop = drop { producer = nil }

        var consumer: KafkaConsumer? = try kafka.consumer(group: TestStack.uniqueName("teardown-group"), topics: [topic])
        let consumerTeardown = try #require(consumer?.teardown)
        await consumer?.close()
        let consumerDrop = drop { consumer = nil }

        // Abandoned, as a crash would leave it: torn down without a close.
        var abandoned: KafkaConsumer? = try kafka.consumer(group: TestStack.uniqueName("teardown-group"), topics: [topic])
        let abandonedTeardown = try #require(abandoned?.teardown)
        _ = try await abandoned?.nextBatch()
        abandoned?.abandon()
        let abandonedDrop = drop { abandoned = nil }

        for (name, drop, teardown) in [
            ("admin", adminDrop, adminTeardown), ("producer", producerDrop, producerTeardown), ("consumer", consumerDrop, consumerTeardown),
            ("abandoned consumer", abandonedDrop, abandonedTeardown),
        ] {
            let record = try await finished(teardown)
            #expect(record.thread != drop.thread, "the \(name) was torn down on the thread that dropped it")
            print("\(name): dropped in \(drop.duration), torn down in \(record.duration)")
        }
    }

    /// Runs `body` (which drops the last reference to a client) and says how long it took, on which thread.
    private func drop(_ body: () -> Void) -> Teardown.Record {
        let thread = Teardown.currentThread
        return Teardown.Record(duration: ContinuousClock().measure(body), thread: thread)
    }

    /// `teardown`'s record, once it is done (within a minute).
    private func finished(_ teardown: Teardown) async throws -> Teardown.Record {
        let deadline = ContinuousClock.now + .seconds(60)
        while teardown.record == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return try #require(teardown.record, "the teardown finished within a minute")
    }
}
