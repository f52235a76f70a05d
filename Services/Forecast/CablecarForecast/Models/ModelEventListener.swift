import CablecarDomain
import CablecarKafka
import Logging
import ServiceLifecycle

/// Consumes `model.events` (a consumer group of its own) and, on a change that can alter the
/// configured model's production version (a transition to or from production, a rollback, a
/// deletion), asks the manager to re-read the registry and swap in the background. Re-reading
/// rather than trusting the event keeps replays and reordering harmless.
public final class ModelEventListener: Service, Sendable {
    private let consumer: KafkaConsumer
    private let topic: String
    private let manager: ModelManager
    private let logger: Logger
    private let startup: @Sendable () async -> Void

    public init(
        brokers: String, topic: String, groupID: String, manager: ModelManager, logger: Logger,
        startup: @escaping @Sendable () async -> Void = {}
    ) throws {
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-forecast-models"), groupID: groupID,
                bufferCapacity: 1000),
            logger: logger)
        self.topic = topic
        self.manager = manager
        self.logger = logger
        self.startup = startup
    }

    /// Whether `event` may change which version of `modelName` is production.
    public static func concernsProduction(_ event: ModelEvent, modelName: String) -> Bool {
        guard event.modelName == modelName else { return false }
        switch event.kind {
        case .rolledBack, .deleted: return true
        case .transitioned: return event.toStage == .production || event.fromStage == .production
        case .registered, .aliasSet, .aliasDeleted: return false
        }
    }

    public func run() async throws {
        await startup()
        // Whatever happened before this process subscribed: the registry is the truth.
        await manager.refreshProduction()
        try consumer.subscribe(to: [topic])
        logger.info("Listening for model events", metadata: ["topic": "\(topic)", "model": "\(manager.modelName)"])
        try await withGracefulShutdownHandler {
            while let batch = try await self.consumer.nextBatch() {
                var relevant = false
                for message in batch {
                    do {
                        let event = try WireCodec.decode(ModelEvent.self, from: message.value)
                        relevant = relevant || Self.concernsProduction(event, modelName: self.manager.modelName)
                    } catch {
                        self.logger.warning(
                            "Unreadable model event skipped",
                            metadata: ["offset": "\(message.offset)", "partition": "\(message.partition)", "error": "\(error)"])
                    }
                }
                if relevant { await self.manager.refreshProduction() }
                for message in batch { self.consumer.markProcessed(message) }
            }
        } onGracefulShutdown: {
            Task { await self.consumer.close() }
        }
        await consumer.close()
    }
}
