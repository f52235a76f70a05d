import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarService
import Foundation
import Logging
import ServiceLifecycle

/// Reads `train.requests` and `monitor.alerts` into the request queue. A message is marked
/// processed only after its request is stored (or judged unreadable and logged), so a crash
/// redelivers it and the queue's idempotency keeps it from being trained twice. The loop
/// (fetching, stop, retries of transient failures) is the shared `StreamWorker`.
public final class RequestIntake: Service, ReadinessCheck, StreamLagReporting, Sendable {
    private let worker: StreamWorker<IntakeHandler>

    public init(
        brokers: String, queue: RequestQueue, configuration: TrainerConfiguration, logger: Logger, watch: OutageWatch?,
        groupInstanceID: String? = nil,
        startup: @escaping @Sendable () async -> Void = {}, retry: RetryPolicy = .standard
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-trainer-intake")
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client,
                groupID: configuration.consumerGroup, bufferCapacity: 1000, groupInstanceID: groupInstanceID),
            logger: logger)
        let handler = IntakeHandler(
            queue: queue, configuration: configuration, translator: AlertTranslator(windowDays: configuration.alertWindowDays),
            logger: logger)
        worker = StreamWorker(
            name: "trainer-intake", source: consumer,
            topics: [configuration.name(of: .trainRequests), configuration.name(of: .monitorAlerts)], handler: handler, retry: retry,
            watch: watch,
            ends: BrokerPartitionEnds(client: client, logger: logger), startup: startup,
            logger: logger)
    }

    public var name: String { worker.name }

    public func isReady() async -> Bool { await worker.isReady() }

    public func lag() async throws -> StreamLag { try await worker.lag() }

    public func run() async throws { try await worker.run() }

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

    /// Stores the message's request, or records the message in `trainer_rejected_messages` with
    /// its reason when it can never become one (unreadable, unsupported version, a request id or
    /// text that cannot be stored). Either way the message is then marked processed: a poison
    /// message is kept for inspection and never retried. Only an unavailable database throws.
    func handle(_ message: KafkaMessage) async throws {
        switch IntakeDecision.decide(message, configuration: configuration, translator: translator) {
        case .reject(let reason):
            try await reject(message, reason: reason)
        case .skip(let why):
            logger.debug("Intake message skipped", metadata: ["offset": "\(message.offset)", "why": "\(why)"])
        case .enqueue(let request, let source):
            do {
                if source == "alert" {
                    switch try await queue.enqueueAlert(request) {
                    case .queued:
                        logger.info("Training request queued", metadata: ["request_id": "\(request.requestID)", "source": "alert"])
                    case .merged(let into):
                        logger.info(
                            "Alert merged into a queued retraining",
                            metadata: ["request_id": "\(request.requestID)", "merged_into": "\(into)"])
                    case .duplicate:
                        logger.info("Duplicate training request ignored", metadata: ["request_id": "\(request.requestID)"])
                    }
                } else {
                    let inserted = try await queue.enqueue(request, source: source)
                    logger.info(
                        inserted ? "Training request queued" : "Duplicate training request ignored",
                        metadata: ["request_id": "\(request.requestID)", "source": "\(source)"])
                }
            } catch {
                guard let refusal = InputRefusal.message(of: error) else { throw error }
                try await reject(message, reason: "the database refused the request: \(refusal)")
            }
        }
    }

    private func reject(_ message: KafkaMessage, reason: String) async throws {
        logger.warning(
            "Training message rejected and recorded",
            metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                "reason": "\(reason)",
            ])
        try await queue.recordRejected(
            topic: message.topic, partition: message.partition, offset: message.offset, reason: reason, payload: Array(message.value))
    }
}

/// What to do with one intake message: a pure decision, so it is unit-tested without a broker.
enum IntakeDecision: Equatable {
    case enqueue(TrainingRequest, source: String)
    case reject(String)
    /// A well-formed message that asks for nothing (e.g. an alert being resolved).
    case skip(String)

    static func decide(_ message: KafkaMessage, configuration: TrainerConfiguration, translator: AlertTranslator) -> IntakeDecision {
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let request: TrainingRequest
        let source: String
        do {
            if message.topic == configuration.name(of: .monitorAlerts) {
                guard let fromAlert = try translator.request(fromAlert: Array(message.value), receivedAt: now) else {
                    return .skip("an alert that is not open (resolved alerts do not retrain)")
                }
                request = fromAlert
                source = "alert"
            } else {
                request = try JSONDecoder().decode(TrainingRequest.self, from: Data(message.value))
                source = "topic"
            }
        } catch {
            return .reject("unreadable: \(error)")
        }
        guard TrainingRequest.readableVersions.contains(request.version) else {
            return .reject("unsupported schema version \(request.version)")
        }
        // Invalid requests are stored too (and fail at once with their reasons, visible through
        // GET /api/v1/train/{id}), unless they cannot be stored: a bad id, or NUL in text.
        let unstorable = request.problems().filter { $0.hasPrefix("request_id") || $0.contains("NUL") }
        guard unstorable.isEmpty else { return .reject(unstorable.joined(separator: "; ")) }
        return .enqueue(request, source: source)
    }
}
