import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The streaming half of the feature store: `obs.traffic` and `obs.context` in; history,
/// offline rows, online vectors and `features.ready` out.
///
/// Per batch, in one transaction: the revisions (with their availability times), the labels,
/// the availability clock, and the rows of every step the clock completed. After the commit:
/// `features.ready` for those steps (flushed), then the batch is marked processed. A crash
/// anywhere redelivers the batch; stored revisions keep their first row, steps already written
/// are rewritten identically, and unpublished steps are re-sent at start-up. The loop (fetching,
/// idle ticks, stop, retries of transient failures) is the shared `StreamWorker`; the feature
/// store supplies `FeatureStream`.
public final class FeaturePipeline: Service, ReadinessCheck, StreamLagReporting, Sendable {
    private let worker: StreamWorker<FeatureStream>
    /// What the pipeline has done, for the catalog and for callers waiting for it to catch up.
    public let progress: PipelineProgress

    public init(
        brokers: String, database: PostgresClient, computer: FeatureComputer, configuration: FeatureStoreConfiguration,
        logger: Logger, watch: OutageWatch?, clientID: String = "cablecar-features", groupInstanceID: String? = nil,
        partitionIdleAfter: Duration = .seconds(10),
        startup: @escaping @Sendable () async -> Void = {}, retry: RetryPolicy = .standard
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize,
                groupInstanceID: groupInstanceID),
            logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 5), logger: logger)
        let progress = PipelineProgress()
        self.progress = progress
        let stream = FeatureStream(
            producer: producer, database: database, materializer: StepMaterializer(computer: computer), configuration: configuration,
            partitionIdleAfter: partitionIdleAfter, partitionEnds: BrokerPartitionEnds(client: client, logger: logger), logger: logger,
            progress: progress)
        worker = StreamWorker(
            name: "features", source: consumer,
            topics: [configuration.name(of: .observedTraffic), configuration.name(of: .observedContext)], handler: stream, retry: retry,
            watch: watch,
            ends: BrokerPartitionEnds(client: client, logger: logger), startup: startup,
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

/// Thread-safe view of the pipeline's progress.
public final class PipelineProgress: Sendable {
    public struct Snapshot: Sendable, Codable, Equatable {
        public var clock: EpochMillis?
        public var lastStep: EpochMillis?
        /// obs.* messages consumed by this process (redeliveries included).
        public var observations: Int
        /// Feature rows this process wrote.
        public var rows: Int

        enum CodingKeys: String, CodingKey {
            case clock = "stream_clock"
            case lastStep = "last_step"
            case observations = "consumed_messages"
            case rows
        }
    }

    private let state = Mutex(Snapshot(clock: nil, lastStep: nil, observations: 0, rows: 0))

    public var value: Snapshot { state.withLock { $0 } }

    func update(clock: EpochMillis?, lastStep: EpochMillis?, observations: Int, rows: Int) {
        state.withLock { state in
            state.clock = clock
            state.lastStep = lastStep
            state.observations += observations
            state.rows += rows
        }
    }
}
