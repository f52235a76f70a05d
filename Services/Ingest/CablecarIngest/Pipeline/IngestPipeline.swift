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
/// the batch processed. A crash anywhere redelivers the batch, and the ledger keeps it from
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
    private typealias Prepared = (batch: [KafkaMessage], verdicts: Task<[Result<AcceptedRecord, Rejection>?], Never>)

    private func fetch() async throws -> Prepared? {
        guard let batch = try await consumer.nextBatch() else { return nil }
        let validator = self.validator
        let configuration = self.configuration
        let verdicts = Task {
            BatchProcessor.validate(batch, validator: validator, configuration: configuration, now: Self.currentTime())
        }
        return (batch, verdicts)
    }

    private func consume(_ processor: BatchProcessor) async throws {
        defer { logger.info("Ingest pipeline stopped", metadata: ["received": "\(totals.value.received)"]) }
        // The first fetch includes joining the consumer group (partition assignment).
        var current = try await timings.measure(PhaseTimings.firstBatch) { try await fetch() }
        while let prepared = current {
            guard lifecycle.begin() else { break }
            // Fetch (and validate) the next batch while this one is written and flushed.
            let next = Task { try await self.fetch() }
            do {
                let verdicts = await timings.measure("wait for validation") { await prepared.verdicts.value }
                try await handle(prepared.batch, verdicts: verdicts, processor)
            } catch {
                lifecycle.end()
                logger.error("Ingest batch failed; stopping so that a restart redelivers it", metadata: ["error": "\(error)"])
                consumer.abandon()
                _ = try? await next.value
                await producer.close()
                throw error
            }
            if lifecycle.end() {
                // Stopping: the prefetched batch is not marked processed, so it is redelivered.
                await consumer.close()
                _ = try? await next.value
                break
            }
            current = try await timings.measure("wait for next batch") { try await self.awaitNext(next, processor) }
        }
        await consumer.close()
        await producer.close()
    }

    /// How long the pipeline waits for a batch before it emits what other instances' progress
    /// made due (see `BatchProcessor.emitWhenIdle`); a busy pipeline never waits this long.
    static let idleEmissionInterval: Duration = .seconds(1)

    /// The prefetched batch; while it does not come, emission of what became due meanwhile.
    /// One watcher and one ticker per wait (not a task per tick): a stream idle for hours must
    /// not pile up tasks. Cancelling the watcher never cancels the prefetch itself, so the
    /// batch on its way is not lost.
    private func awaitNext(_ next: Task<Prepared?, any Error>, _ processor: BatchProcessor) async throws -> Prepared? {
        let (signals, continuation) = AsyncStream<Bool>.makeStream()
        let watcher = Task {
            _ = try? await next.value
            continuation.yield(true)
            continuation.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.idleEmissionInterval)
                continuation.yield(false)
            }
        }
        defer {
            ticker.cancel()
            watcher.cancel()
        }
        for await batchArrived in signals {
            if batchArrived { break }
            do {
                let result = try await processor.emitWhenIdle(database: database, now: Self.currentTime())
                if !result.emitted.isEmpty {
                    try await send(result.emitted)
                    metrics.record(result.outcome)
                    totals.add(result.outcome)
                }
            } catch {
                // As for a failed batch: stop, so that a restart sends what the outbox holds.
                logger.error("Idle emission failed; stopping", metadata: ["error": "\(error)"])
                consumer.abandon()
                _ = try? await next.value
                await producer.close()
                throw error
            }
        }
        return try await next.value
    }

    private static func currentTime() -> EpochMillis { EpochMillis(Date().timeIntervalSince1970 * 1000) }

    private func handle(_ batch: [KafkaMessage], verdicts: [Result<AcceptedRecord, Rejection>?], _ processor: BatchProcessor) async throws {
        let now = Self.currentTime()
        let result = try await processor.process(
            batch, verdicts: verdicts, database: database, now: now, rebalances: consumer.rebalanceCount)
        try await timings.measure("publish") {
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
