import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The consuming half of ingest: raw topics in, `obs.*` out, one transaction per batch.
///
/// Order per batch: validate and write ledger + state + outbox in one transaction; enqueue the
/// rejections and the outbox; flush the producer; delete the sent outbox rows; only then mark
/// the batch processed (the next batch's transaction meanwhile runs beside it). A crash anywhere
/// redelivers the batch, and the ledger keeps it from being counted twice; the outbox keeps
/// committed emissions from being lost. The loop itself (fetching, idle ticks, stop, retries
/// of transient failures) is the shared `StreamWorker`; ingest supplies `IngestStream`.
public final class IngestPipeline: Service, ReadinessCheck, StreamLagReporting, Sendable {
    private let worker: StreamWorker<IngestStream>
    private let stream: IngestStream
    /// Where the time goes, per phase (see `PhaseTimings`).
    public let timings: PhaseTimings

    /// Waits for the database schema and topics before consuming (the service's start-up gate).
    public typealias StartupSignal = @Sendable () async -> Void

    public init(
        brokers: String, database: PostgresClient, catalog: CityCatalog, configuration: IngestConfiguration, logger: Logger,
        watch: OutageWatch?,
        clientID: String = "cablecar-ingest", kafkaProperties: [String: String] = [:], groupInstanceID: String? = nil,
        startup: @escaping StartupSignal = {},
        retry: RetryPolicy = .standard
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID, extra: kafkaProperties)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize,
                groupInstanceID: groupInstanceID),
            logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 10), logger: logger)
        let timings = PhaseTimings()
        self.timings = timings
        stream = IngestStream(
            producer: producer, database: database, kafkaClient: client,
            validator: RecordValidator(catalog: catalog, futureToleranceMillis: configuration.futureToleranceMillis),
            configuration: configuration, logger: logger, timings: timings)
        worker = StreamWorker(
            name: "ingest", source: consumer, topics: Topic.rawFeeds.map(configuration.name(of:)), handler: stream, retry: retry,
            watch: watch,
            ends: BrokerPartitionEnds(client: client, logger: logger), startup: startup,
            logger: logger)
    }

    /// Totals of what this instance handled since it started.
    public var handled: BatchOutcome { stream.totals.value }

    public var name: String { worker.name }

    public func isReady() async -> Bool { await worker.isReady() }

    public func lag() async throws -> StreamLag { try await worker.lag() }

    public func run() async throws { try await worker.run() }

    /// Stops after the batch in flight (if any) is fully handled; idempotent.
    public func stop() { worker.stop() }

    /// Stops as a crash would: nothing more is committed, so uncommitted batches are
    /// redelivered to the next instance. For recovery tests.
    public func crash() { worker.crash() }
}

final class OutcomeTotals: Sendable {
    private let totals = Mutex(BatchOutcome())

    func add(_ outcome: BatchOutcome) {
        totals.withLock { totals in
            totals.received += outcome.received
            totals.accepted += outcome.accepted
            totals.duplicates += outcome.duplicates
            totals.redelivered += outcome.redelivered
            totals.trafficEmitted += outcome.trafficEmitted
            totals.contextEmitted += outcome.contextEmitted
            for (reason, count) in outcome.rejected { totals.rejected[reason, default: 0] += count }
        }
    }

    var value: BatchOutcome { totals.withLock { $0 } }
}

/// Says yes at most once per interval.
final class Throttle: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func isDue(interval: Duration) -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
