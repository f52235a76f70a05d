import CablecarDomain
import CablecarKafka
import CablecarRegistryAPI
import Logging

/// Where the registry sends `model.events`. The payload is the event's versioned JSON; the key
/// is the model name.
public protocol ModelEventPublisher: Sendable {
    func publish(modelName: String, payload: [UInt8]) async throws
}

/// Publishes model events to Kafka and waits for the broker's acknowledgement.
public struct KafkaModelEventPublisher: ModelEventPublisher {
    public let producer: KafkaProducer
    public let topic: String

    /// `topic` defaults to `model.events`; tests pass a prefixed name of their own.
    public init(producer: KafkaProducer, topic: String = Topic.modelEvents.rawValue) {
        self.producer = producer
        self.topic = topic
    }

    /// A producer of its own for the registry (idempotent, so retries do not duplicate).
    public init(brokers: String, topic: String = Topic.modelEvents.rawValue, logger: Logger) throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-registry"), lingerMilliseconds: 0,
                // Bounded: a registry call waits at most this for the broker; the outbox relay retries.
                deliveryTimeoutMilliseconds: 10_000),
            logger: logger)
        self.init(producer: producer, topic: topic)
    }

    public func publish(modelName: String, payload: [UInt8]) async throws {
        _ = try await producer.send(topic: topic, key: Array(modelName.utf8), value: payload)
    }
}
