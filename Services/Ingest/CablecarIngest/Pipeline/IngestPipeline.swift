import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The consuming half of ingest: raw topics in, `obs.*` out, one transaction per batch.
///
/// Order per batch: validate and write ledger + state + outbox in one transaction; enqueue the
/// rejections and the outbox; flush the producer; delete the sent outbox rows; only then mark
/// the batch processed (the next batch's transaction meanwhile runs beside it). A crash anywhere redelivers the batch, and the ledger keeps it from
/// being counted twice; the outbox keeps committed emissions from being lost.
public final class IngestPipeline: Service, Sendable {
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let database: PostgresClient
    private let kafkaClient: KafkaClientConfiguration
    private let validator: RecordValidator
    private let configuration: IngestConfiguration
    private let logger: Logger
    private let startup: StartupSignal
    private let lifecycle = BatchLifecycle()
    private let metrics = IngestMetrics()
    private let totals = OutcomeTotals()
    private let qualityRefresh = Throttle()
    /// Where the time goes, per phase (see `PhaseTimings`).
    public let timings = PhaseTimings()

    /// Waits for the database schema and topics before consuming (the service's start-up gate).
    public typealias StartupSignal = @Sendable () async -> Void

    public init(
        brokers: String, database: PostgresClient, catalog: CityCatalog, configuration: IngestConfiguration, logger: Logger,
        clientID: String = "cablecar-ingest", kafkaProperties: [String: String] = [:], startup: @escaping StartupSignal = {}
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID, extra: kafkaProperties)
        kafkaClient = client
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize),
            logger: logger)
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 10), logger: logger)
        self.database = database
        self.validator = RecordValidator(catalog: catalog, futureToleranceMillis: configuration.futureToleranceMillis)
        self.configuration = configuration
        self.logger = logger
        self.startup = startup
    }

    /// Totals of what this instance handled since it started.
    public var handled: BatchOutcome { totals.value }

    public func run() async throws {
        await startup()
        try consumer.subscribe(to: Topic.rawFeeds.map(configuration.name(of:)))
        let partitions = await RawPartitions.discover(client: kafkaClient, configuration: configuration, logger: logger)
        let processor = try await BatchProcessor.restore(
            validator: validator, configuration: configuration, database: database, logger: logger, timings: timings,
            expectedPartitions: partitions)
        try await sendOutbox()
        logger.info("Ingest pipeline consuming", metadata: ["group": "\(configuration.consumerGroup)"])
        try await withGracefulShutdownHandler {
            try await self.consume(processor)
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Stops after the batch in flight (if any) is fully handled; idempotent.
    public func stop() {
        if lifecycle.requestStop() {
            // Idle: nothing in flight, so close now to end the wait for the next batch.
            Task { await self.consumer.close() }
        }
    }

    /// Stops as a crash would: nothing more is committed, so uncommitted batches are
    /// redelivered to the next instance. For recovery tests.
    public func crash() {
        _ = lifecycle.requestStop()
        consumer.abandon()
    }

    /// A fetched batch with its validation running (or done) beside the previous batch's
    /// database work: validation is CPU in this process, the transaction mostly Postgres.
    private typealias Prepared = (batch: [KafkaMessage], verdicts: Task<[BatchProcessor.Verdict?], Never>)

    private func fetch() async throws -> Prepared? {
        guard let batch = try await consumer.nextBatch() else { return nil }
        let validator = self.validator
        let configuration = self.configuration
        let verdicts = Task {
            BatchProcessor.validate(batch, validator: validator, configuration: configuration, now: Self.currentTime())
        }
        return (batch, verdicts)
    }

    /// Batch N's transaction runs while batch N-1 is being published: the transaction is mostly
    /// Postgres, publishing mostly the broker. Batches are still marked processed in order, each
    /// only after its own flush.
    private func consume(_ processor: BatchProcessor) async throws {
        defer { logger.info("Ingest pipeline stopped", metadata: ["received": "\(totals.value.received)"]) }
        // The first fetch includes joining the consumer group (partition assignment).
        var current = try await timings.measure(PhaseTimings.firstBatch) { try await fetch() }
        var publishing: Task<Void, any Error>?
        // A stop requested while busy is seen here, before the next batch starts: the prefetched
        // batch is not marked processed, so it is redelivered.
        while let prepared = current, lifecycle.begin() {
            // Fetch (and validate) the next batch while this one is written and flushed.
            let next = Task { try await self.fetch() }
            do {
                let verdicts = await timings.measure("wait for validation") { await prepared.verdicts.value }
                let result = try await processor.process(
                    prepared.batch, verdicts: verdicts, database: database, now: Self.currentTime(), rebalances: consumer.rebalanceCount)
                try await timings.measure("wait for previous publish") { try await publishing?.value }
                publishing = Task { try await self.publish(result, of: prepared.batch) }
                current = try await timings.measure("wait for next batch") { try await self.awaitNext(next, processor, publishing: publishing) }
            } catch {
                logger.error("Ingest batch failed; stopping so that a restart redelivers it", metadata: ["error": "\(error)"])
                consumer.abandon()
                _ = try? await publishing?.value
                _ = try? await next.value
                await producer.close()
                throw error
            }
        }
        do {
            try await publishing?.value
        } catch {
            logger.error("Publishing the last batch failed; a restart sends what the outbox holds", metadata: ["error": "\(error)"])
            consumer.abandon()
            await producer.close()
            throw error
        }
        await consumer.close()
        await producer.close()
    }

    /// How long the pipeline waits for a batch before it emits what other instances' progress
    /// made due (see `BatchProcessor.emitWhenIdle`); a busy pipeline never waits this long.
    static let idleEmissionInterval: Duration = .seconds(1)

    private enum WaitSignal: Sendable {
        case batchArrived, published, tick
    }

    /// The prefetched batch; while it does not come, the end of the previous batch's publish (the
    /// pipeline is then idle: a stop may close the consumer) and emission of what became due.
    /// One watcher per task and one ticker per wait (not a task per tick): a stream idle for
    /// hours must not pile up tasks. Cancelling a watcher never cancels what it watches, so
    /// the batch on its way is not lost.
    private func awaitNext(
        _ next: Task<Prepared?, any Error>, _ processor: BatchProcessor, publishing: Task<Void, any Error>?
    ) async throws -> Prepared? {
        let (signals, continuation) = AsyncStream<WaitSignal>.makeStream()
        let watcher = Task {
            _ = try? await next.value
            continuation.yield(.batchArrived)
            continuation.finish()
        }
        let publishWatcher = Task {
            _ = try? await publishing?.value
            continuation.yield(.published)
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.idleEmissionInterval)
                continuation.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            watcher.cancel()
            publishWatcher.cancel()
        }
        for await signal in signals {
            switch signal {
            case .batchArrived:
                return try await next.value
            case .published:
                // Surfaces a failed publish (the caller stops); otherwise the batch is done.
                try await publishing?.value
                if lifecycle.end() {
                    // A stop came while the batch was in flight: closing ends the wait.
                    await consumer.close()
                }
            case .tick:
                try await publishing?.value
                let result = try await processor.emitWhenIdle(database: database, now: Self.currentTime())
                if !result.emitted.isEmpty {
                    try await send(result.emitted)
                    metrics.record(result.outcome)
                    totals.add(result.outcome)
                }
            }
        }
        return try await next.value
    }

    private static func currentTime() -> EpochMillis { EpochMillis(Date().timeIntervalSince1970 * 1000) }

    /// Sends a committed batch's rejections and observations, then marks its messages processed.
    private func publish(_ result: BatchProcessor.Result, of batch: [KafkaMessage]) async throws {
        try await timings.measure("publish (beside the next transaction)") {
            for rejection in result.rejections {
                try await producer.enqueue(topic: configuration.name(of: .rejected), key: rejection.key, value: rejection.value)
            }
            try await send(result.emitted)
        }
        for message in batch { consumer.markProcessed(message) }
        metrics.record(result.outcome)
        totals.add(result.outcome)
        await timings.measure("quality gauges") { await refreshQualityGauges() }
        logger.debug(
            "Batch handled",
            metadata: ["received": "\(result.outcome.received)", "accepted": "\(result.outcome.accepted)",
                       "redelivered": "\(result.outcome.redelivered)", "traffic": "\(result.outcome.trafficEmitted)"])
    }

    /// Quality gauges come from Postgres (the truth across restarts), at most every 15 s: the
    /// report scans the ledger, which is too much per batch. A failure only skips a refresh.
    private func refreshQualityGauges() async {
        guard qualityRefresh.isDue(interval: .seconds(15)) else { return }
        do {
            metrics.record(try await QualityReport.load(from: database, catalog: validator.catalog, logger: logger))
        } catch {
            logger.warning("Could not refresh quality gauges", metadata: ["error": "\(error)"])
        }
    }

    /// At start-up: sends what a previous run committed but may not have sent.
    private func sendOutbox() async throws {
        try await send(try await EmissionStore.pendingOutbox(on: database, logger: logger))
    }

    /// Sends committed observations, waits for the broker (and for the rejections enqueued
    /// before), then forgets them.
    private func send(_ messages: [OutboxMessage]) async throws {
        for message in messages {
            try await producer.enqueue(topic: message.topic, key: Array(message.key.utf8), value: message.payload)
        }
        try await producer.flush()
        try await EmissionStore.deleteOutbox(messages.map(\.id), on: database, logger: logger)
    }
}

final class OutcomeTotals: @unchecked Sendable {
    private let lock = NSLock()
    private var totals = BatchOutcome()

    func add(_ outcome: BatchOutcome) {
        lock.withLock {
            totals.received += outcome.received
            totals.accepted += outcome.accepted
            totals.duplicates += outcome.duplicates
            totals.redelivered += outcome.redelivered
            totals.trafficEmitted += outcome.trafficEmitted
            totals.contextEmitted += outcome.contextEmitted
            for (reason, count) in outcome.rejected { totals.rejected[reason, default: 0] += count }
        }
    }

    var value: BatchOutcome { lock.withLock { totals } }
}

/// Says yes at most once per interval.
final class Throttle: @unchecked Sendable {
    private let lock = NSLock()
    private var last: ContinuousClock.Instant?

    func isDue(interval: Duration) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
