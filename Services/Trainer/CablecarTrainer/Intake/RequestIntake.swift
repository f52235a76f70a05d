import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import ServiceLifecycle

/// Reads `train.requests` and `monitor.alerts` into the request queue. A message is marked
/// processed only after its request is stored (or judged unreadable and logged), so a crash
/// redelivers it and the queue's idempotency keeps it from being trained twice. The loop
/// (fetching, stop, retries of transient failures) is the shared `StreamWorker`.
public final class RequestIntake: Service, ReadinessCheck, Sendable {
    private let worker: StreamWorker<IntakeHandler>
    private let startup: @Sendable () async -> Void

    public init(
        brokers: String, queue: RequestQueue, configuration: TrainerConfiguration, logger: Logger,
        startup: @escaping @Sendable () async -> Void = {}, retry: RetryPolicy = .standard
    ) throws {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-trainer-intake"),
                groupID: configuration.consumerGroup, bufferCapacity: 1000),
            logger: logger)
        let handler = IntakeHandler(
            queue: queue, configuration: configuration, translator: AlertTranslator(windowDays: configuration.alertWindowDays), logger: logger)
        worker = StreamWorker(
            name: "trainer-intake", source: consumer,
            topics: [configuration.name(of: .trainRequests), configuration.name(of: .monitorAlerts)], handler: handler, retry: retry,
            logger: logger)
        self.startup = startup
    }

    public var name: String { worker.name }

    public func isReady() async -> Bool { await worker.isReady() }

    public func run() async throws {
        await startup()
        try await worker.run()
    }

    /// Stops consuming after the batch in flight (processed offsets are committed).
    public func stop() async {
        worker.stop()
    }
}

/// Stores each request of a batch in the queue (idempotent by request id).
struct IntakeHandler: StreamHandler {
    let queue: RequestQueue
    let configuration: TrainerConfiguration
    let translator: AlertTranslator
    let logger: Logger

    var publishesBesideNextBatch: Bool { false }

    func prepare(_ batch: [KafkaMessage]) {}

    func recover() async throws {}

    func handle(_ batch: [KafkaMessage], prepared: Void, context: BatchContext) async throws {
        for message in batch { try await handle(message) }
    }

    func publish(_ output: Void) async throws {}

    private func handle(_ message: KafkaMessage) async throws {
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let request: TrainingRequest
        let source: String
        do {
            if message.topic == configuration.name(of: .monitorAlerts) {
                request = try translator.request(fromAlert: message.value, receivedAt: now)
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
