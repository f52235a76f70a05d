import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The thin consume loop around `MonitorBatchHandler`: fetch a batch, handle it, publish the
/// alert transitions it stored (flushed), mark them published, then mark the batch processed.
/// A crash anywhere redelivers the batch (at-least-once); the handler is idempotent and the
/// alert outbox re-sends what was not acknowledged.
public final class MonitorPipeline: Service, Sendable {
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let database: PostgresClient
    private let configuration: MonitorConfiguration
    private let logger: Logger
    private let startup: @Sendable () async -> Void
    private let stopFlag = BatchLifecycle()
    /// What the loop has done, for tests and the catalog of the HTTP API.
    public let progress = MonitorProgress()

    public init(
        brokers: String, database: PostgresClient, configuration: MonitorConfiguration, logger: Logger,
        clientID: String = "cablecar-monitor", startup: @escaping @Sendable () async -> Void = {}
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID)
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize),
            logger: logger)
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 5), logger: logger)
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.startup = startup
    }

    public func run() async throws {
        await startup()
        var handler = try await MonitorBatchHandler.restore(database: database, configuration: configuration, logger: logger)
        try await publishPending()
        try consumer.subscribe(to: [configuration.name(of: .forecastPredictions), configuration.name(of: .observedTraffic)])
        logger.info("Monitor consuming", metadata: ["group": "\(configuration.consumerGroup)"])
        try await withGracefulShutdownHandler {
            while let batch = try await self.consumer.nextBatch() {
                guard self.stopFlag.begin() else { break }
                do {
                    let output = try await handler.handle(batch)
                    try await self.publish(output.alerts)
                    for message in batch { self.consumer.markProcessed(message) }
                    self.progress.record(output, clock: handler.eventClock)
                } catch {
                    self.stopFlag.end()
                    self.logger.error("Monitor batch failed; stopping so that a restart redelivers it", metadata: ["error": "\(error)"])
                    self.consumer.abandon()
                    await self.producer.close()
                    throw error
                }
                if self.stopFlag.end() { break }
            }
            await self.consumer.close()
            await self.producer.close()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Stops after the batch in flight; the consumer then commits what was processed.
    public func stop() {
        if stopFlag.requestStop() { Task { await self.consumer.close() } }
    }

    private func publishPending() async throws {
        let pending = try await AlertStore.alerts(
            state: nil, neighborhood: nil, limit: 10_000, on: database, logger: logger, unpublishedOnly: true)
        try await publish(pending.reversed())
    }

    private func publish(_ alerts: [MonitorAlert]) async throws {
        guard !alerts.isEmpty else { return }
        let topic = configuration.name(of: .monitorAlerts)
        for alert in alerts {
            try await producer.enqueue(topic: topic, key: Array(alert.neighborhood.utf8), value: try WireCodec.encode(alert))
        }
        try await producer.flush()
        try await AlertStore.markPublished(alerts, on: database, logger: logger)
    }
}

/// Thread-safe view of the loop's progress.
public final class MonitorProgress: Sendable {
    public struct Snapshot: Sendable, Codable, Equatable {
        public var clock: EpochMillis?
        public var messages = 0
        public var joined = 0
        public var rescored = 0
        public var rejected = 0
        public var alerts = 0
        public var batches = 0

        enum CodingKeys: String, CodingKey {
            case clock = "event_clock"
            case messages = "consumed_messages"
            case joined = "pairs_joined"
            case rescored = "pairs_rescored"
            case rejected = "rejected_messages"
            case alerts = "alert_transitions"
            case batches
        }
    }

    private let state = Mutex(Snapshot())

    public var value: Snapshot { state.withLock { $0 } }

    func record(_ output: MonitorBatchOutput, clock: EpochMillis?) {
        state.withLock { state in
            state.clock = clock
            state.messages += output.predictions + output.actuals + output.rejected
            state.joined += output.joined
            state.rescored += output.rescored
            state.rejected += output.rejected
            state.alerts += output.alerts.count
            state.batches += 1
        }
    }
}
