import CablecarKafka
import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

@Suite("Kafka failures surface as typed errors")
struct KafkaFailureTests {
    @Test("sending to an unreachable broker fails with a typed timeout error")
    func unreachableBrokerTimesOut() async throws {
        let port = try Network.freePort()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: "127.0.0.1:\(port)"), deliveryTimeoutMilliseconds: 1_500),
            logger: TestStack.logger)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "nowhere", key: nil, value: Array("x".utf8))
        }
        #expect(error?.isTimeout == true)
        #expect(error?.description.contains("nowhere") == true)
        #expect(producer.statistics.failed == 1)
    }

    @Test("the delivery failure arrives within the configured timeout, not later")
    func failureArrivesOnTime() async throws {
        let port = try Network.freePort()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: "127.0.0.1:\(port)"), deliveryTimeoutMilliseconds: 1_500),
            logger: TestStack.logger)
        try await producer.enqueue(topic: "nowhere", key: nil, value: [1])
        // Timed on a thread of its own: other suites keep the shared task pool busy, and that
        // delay is the test process's, not the producer's.
        let elapsed = try await offThePool { () -> Double in
            let start = Date()
            while producer.statistics.failed == 0 {
                guard Date().timeIntervalSince(start) < 30 else { return 30 }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return Date().timeIntervalSince(start)
        }
        #expect(elapsed >= 1.0)
        #expect(elapsed < 4.5, "delivery timeout is 1.5 s; failure took \(elapsed) s")
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
