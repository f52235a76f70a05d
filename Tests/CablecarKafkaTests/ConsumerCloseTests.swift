import CablecarKafka
import CablecarTestSupport
import Foundation
import Testing

/// A consumer told to close while its broker hangs (the process stopped, its connections open):
/// librdkafka's close did not return within 14 minutes, so a service told to stop never stopped.
@Suite("Closing a consumer while the broker hangs", .serialized)
struct ConsumerCloseTests {
    @Test(.timeLimit(.minutes(3)))
    func closeIsGivenUpAfterItsLimit() async throws {
        let broker = try await DedicatedBroker.launch()
        let kafka = KafkaTestContext(brokers: broker.brokers)
        let topic = TestStack.uniqueName("close-topic")
        let admin = try KafkaAdmin(configuration: kafka.client, logger: TestStack.logger)
        try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 3)], timeout: .seconds(60))
        let consumer = try kafka.consumer(group: TestStack.uniqueName("close-group"), topics: [topic], commitIntervalMilliseconds: 60_000)
        let producer = try kafka.producer()
        for index in 0..<30 { try await producer.enqueue(topic: topic, key: Array("k\(index)".utf8), value: Array("v\(index)".utf8)) }
        try await producer.flush()
        var seen = 0
        for try await message in consumer.messages {
            consumer.markProcessed(message)
            seen += 1
            if seen == 10 { break }
        }
        let pid = try #require(broker.processID)
        kill(pid, SIGSTOP)
        // Without the limit this waits for good; the suite's time limit then fails the test.
        await consumer.close(within: .seconds(2))
        // What was fetched before the close is still handed out; then the messages end (if they
        // never did, the time limit fails the test).
        var handedOut = 0
        while let batch = try await consumer.nextBatch() { handedOut += batch.count }
        #expect(handedOut <= 20, "only the 20 messages not yet taken can be left: \(handedOut)")
        // A second close waits for nothing: the first was given up.
        await consumer.close(within: .seconds(600))
        // The broker resumes, so the close given up (waiting on its commit's answer) can finish
        // on its thread instead of staying blocked in this test process for good.
        kill(pid, SIGCONT)
        try await Task.sleep(for: .seconds(10))
        await producer.close(timeout: .seconds(5))
        broker.kill()
    }
}
