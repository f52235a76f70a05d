import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The monitor's consuming half: forecasts and observations in, pairs, windows and alert
/// transitions out. The loop itself (fetching, stop, retries of transient failures such as a
/// database outage) is the shared `StreamWorker`; the monitor supplies `MonitorStream`.
public final class MonitorPipeline: Service, ReadinessCheck, StreamLagReporting, Sendable {
    private let worker: StreamWorker<MonitorStream>
    /// What the loop has done, for tests and the catalog of the HTTP API.
    public let progress: MonitorProgress

    public init(
        brokers: String, database: PostgresClient, configuration: MonitorConfiguration, logger: Logger, watch: OutageWatch?,
        clientID: String = "cablecar-monitor", groupInstanceID: String? = nil, startup: @escaping @Sendable () async -> Void = {},
        retry: RetryPolicy = .standard
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize,
                groupInstanceID: groupInstanceID),
            logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 5), logger: logger)
        let progress = MonitorProgress()
        self.progress = progress
        let stream = MonitorStream(
            producer: producer, database: database, configuration: configuration, progress: progress, logger: logger)
        worker = StreamWorker(
            name: "monitor", source: consumer,
            topics: [configuration.name(of: .forecastPredictions), configuration.name(of: .observedTraffic)], handler: stream,
            retry: retry, watch: watch, ends: BrokerPartitionEnds(client: client, logger: logger),
            startup: startup,
            logger: logger)
    }

    public var name: String { worker.name }

    public func isReady() async -> Bool { await worker.isReady() }

    public func lag() async throws -> StreamLag { try await worker.lag() }

    public func run() async throws { try await worker.run() }

    /// Stops after the batch in flight; the consumer then commits what was processed.
    public func stop() { worker.stop() }

    /// Stops as a crash would: nothing more is committed. For recovery tests.
    public func crash() { worker.crash() }
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
