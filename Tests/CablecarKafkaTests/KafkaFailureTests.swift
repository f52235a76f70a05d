import CablecarKafka
import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

@Suite("Kafka failures surface as typed errors")
struct KafkaFailureTests {
    @Test("sending to an unreachable broker fails with a timeout within the configured limit")
    func unreachableBrokerTimesOut() async throws {
        let port = try Network.freePort()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: "127.0.0.1:\(port)"), deliveryTimeoutMilliseconds: 1_500),
            logger: TestStack.logger)
        let started = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "nowhere", key: nil, value: Array("x".utf8))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.isTimeout == true)
        #expect(elapsed < .seconds(10))
        #expect(producer.statistics.failed == 1)
    }

    @Test("enqueued messages that cannot be delivered make flush throw")
    func flushReportsFailures() async throws {
        let port = try Network.freePort()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: "127.0.0.1:\(port)"), deliveryTimeoutMilliseconds: 1_000),
            logger: TestStack.logger)
        for _ in 0..<10 { try await producer.enqueue(topic: "nowhere", key: nil, value: [1, 2, 3]) }
        await #expect(throws: KafkaError.self) { try await producer.flush(timeout: .seconds(10)) }
        #expect(producer.statistics.failed == 10)
    }

    @Test("an invalid librdkafka property is reported with its name")
    func invalidPropertyIsNamed() throws {
        let configuration = KafkaProducerConfiguration(
            client: KafkaClientConfiguration(brokers: "127.0.0.1:1", extra: ["linger.ms": "not-a-number"]))
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: TestStack.logger) }
        #expect(error?.description.contains("linger.ms") == true)
    }
}
