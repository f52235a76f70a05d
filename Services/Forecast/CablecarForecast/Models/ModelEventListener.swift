import CablecarDomain
import CablecarKafka
import CablecarService
import Logging
import ServiceLifecycle

/// Consumes `model.events` (a consumer group of its own) and, on a change that can alter the
/// configured model's production version (a transition to or from production, a rollback, a
/// deletion), asks the manager to re-read the registry and swap in the background. Re-reading
/// rather than trusting the event keeps replays and reordering harmless. The loop is the shared
/// `StreamWorker`; `ModelEventHandler` is the listener's part.
public final class ModelEventListener: Service, ReadinessCheck, StreamLagReporting, Sendable {
    private let worker: StreamWorker<ModelEventHandler>

    public init(
        brokers: String, topic: String, groupID: String, manager: ModelManager, watch: OutageWatch?, logger: Logger,
        groupInstanceID: String? = nil, startup: @escaping @Sendable () async -> Void = {}, retry: RetryPolicy = .standard
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-forecast-models")
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: groupID, bufferCapacity: 1000, groupInstanceID: groupInstanceID),
            logger: logger)
        worker = StreamWorker(
            name: "model-events", source: consumer, topics: [topic], handler: ModelEventHandler(manager: manager, logger: logger),
            retry: retry, watch: watch, ends: BrokerPartitionEnds(client: client, logger: logger), startup: startup, logger: logger)
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

    public var name: String { worker.name }

    public func isReady() async -> Bool { await worker.isReady() }

    public func lag() async throws -> StreamLag { try await worker.lag() }

    public func run() async throws { try await worker.run() }

    public func stop() { worker.stop() }
}

/// The listener's part of the stream: decode, and re-read the registry when a batch held an
/// event that concerns production. `recover` re-reads it too: whatever happened before this
/// process subscribed (or while it could not consume), the registry is the truth.
struct ModelEventHandler: StreamHandler {
    let manager: ModelManager
    let logger: Logger

    var publishesBesideNextBatch: Bool { false }

    /// True when an event of the batch may change the production version.
    func prepare(_ batch: [KafkaMessage]) -> Bool {
        var relevant = false
        for message in batch {
            do {
                let event = try WireCodec.decode(ModelEvent.self, from: message.value)
                relevant = relevant || ModelEventListener.concernsProduction(event, modelName: manager.modelName)
            } catch {
                // The registry writes these; one that does not decode is reported and skipped, and
                // the next refresh (every event and the periodic refresher) reads the truth anyway.
                logger.warning(
                    "Unreadable model event skipped",
                    metadata: ["offset": "\(message.offset)", "partition": "\(message.partition)", "error": "\(error)"])
            }
        }
        return relevant
    }

    func recover() async throws {
        await manager.refreshProduction()
    }

    func handle(_ batch: [KafkaMessage], prepared relevant: Bool, context: BatchContext) async throws {
        if relevant { await manager.refreshProduction() }
    }

    func publish(_ output: Void) async throws {}
}
