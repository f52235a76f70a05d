import CablecarDomain
import CablecarKafka
import Foundation
import Logging
import ServiceLifecycle

/// Reads `train.requests` and `monitor.alerts` into the request queue. A message is marked
/// processed only after its request is stored (or judged unreadable and logged), so a crash
/// redelivers it and the queue's idempotency keeps it from being trained twice.
public final class RequestIntake: Service, Sendable {
    private let consumer: KafkaConsumer
    private let queue: RequestQueue
    private let configuration: TrainerConfiguration
    private let translator: AlertTranslator
    private let logger: Logger
    private let startup: @Sendable () async -> Void

    public init(
        brokers: String, queue: RequestQueue, configuration: TrainerConfiguration, logger: Logger,
        startup: @escaping @Sendable () async -> Void = {}
    ) throws {
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-trainer-intake"),
                groupID: configuration.consumerGroup, bufferCapacity: 1000),
            logger: logger)
        self.queue = queue
        self.configuration = configuration
        self.translator = AlertTranslator(windowDays: configuration.alertWindowDays)
        self.logger = logger
        self.startup = startup
    }

    public func run() async throws {
        await startup()
        try consumer.subscribe(to: [configuration.name(of: .trainRequests), configuration.name(of: .monitorAlerts)])
        logger.info("Trainer intake consuming", metadata: ["group": "\(configuration.consumerGroup)"])
        try await withGracefulShutdownHandler {
            while let batch = try await self.consumer.nextBatch() {
                for message in batch {
                    try await self.handle(message)
                    self.consumer.markProcessed(message)
                }
            }
        } onGracefulShutdown: {
            Task { await self.consumer.close() }
        }
        await consumer.close()
    }

    /// Stops consuming (closes the consumer; processed offsets are committed).
    public func stop() async {
        await consumer.close()
    }

    private func handle(_ message: KafkaMessage) async throws {
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let request: TrainingRequest
        let source: String
        do {
            if message.topic == configuration.name(of: .monitorAlerts) {
                guard let fromAlert = try translator.request(fromAlert: message.value, receivedAt: now) else {
                    logger.debug("Alert that is not open skipped", metadata: ["offset": "\(message.offset)"])
                    return
                }
                request = fromAlert
                source = "alert"
            } else {
                request = try JSONDecoder().decode(TrainingRequest.self, from: Data(message.value))
                source = "topic"
            }
        } catch {
            // A message that can never be read must not block the partition: log and move on.
            logger.warning(
                "Unreadable message skipped",
                metadata: ["topic": "\(message.topic)", "offset": "\(message.offset)", "error": "\(error)"])
            return
        }
        guard TrainingRequest.readableVersions.contains(request.version) else {
            logger.warning("Training request of unsupported version skipped", metadata: ["version": "\(request.version)"])
            return
        }
        // Invalid requests are stored too (and fail at once with their reasons), so the
        // requester can see why through GET /api/v1/train/{id}.
        let inserted = try await queue.enqueue(request, source: source)
        logger.info(
            inserted ? "Training request queued" : "Duplicate training request ignored",
            metadata: ["request_id": "\(request.requestID)", "source": "\(source)"])
    }
}
