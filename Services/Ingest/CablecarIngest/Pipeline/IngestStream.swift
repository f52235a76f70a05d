import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Ingest's part of the stream (the `StreamWorker` does the rest): validation beside the
/// previous batch, one transaction per batch (ledger, state, outbox with its dead letters and
/// observations), then the outbox sent and flushed, and the sent outbox rows deleted.
///
/// Redelivery-safe, which is what lets the worker retry: a batch seen again is recognised by
/// the ledger (counted once, nothing sent again), and what a committed batch put in the outbox
/// is sent by `recover` if its publish did not finish.
final class IngestStream: StreamHandler, Sendable {
    typealias Prepared = [BatchProcessor.Verdict?]
    typealias Output = BatchProcessor.Result

    private let producer: KafkaProducer
    private let database: PostgresClient
    private let kafkaClient: KafkaClientConfiguration
    let validator: RecordValidator
    private let configuration: IngestConfiguration
    private let logger: Logger
    let timings: PhaseTimings
    let metrics = IngestMetrics()
    let totals = OutcomeTotals()
    private let qualityRefresh = Throttle()
    private let partitionEnds: BrokerPartitionEnds
    private struct Progress {
        /// Rebuilt by every `recover`, from what the database holds.
        var current: BatchProcessor?
        var startedAt: ContinuousClock.Instant?
        var sawFirstBatch = false
    }

    private let progress = Mutex(Progress())

    init(
        producer: KafkaProducer, database: PostgresClient, kafkaClient: KafkaClientConfiguration, validator: RecordValidator,
        configuration: IngestConfiguration, logger: Logger, timings: PhaseTimings
    ) {
        self.producer = producer
        self.database = database
        self.kafkaClient = kafkaClient
        self.validator = validator
        self.configuration = configuration
        self.logger = logger
        self.timings = timings
        self.partitionEnds = BrokerPartitionEnds(client: kafkaClient, logger: logger)
    }

    /// Batch N's transaction runs while batch N-1 is being published.
    var publishesBesideNextBatch: Bool { true }

    /// The reference time for "future" is each message's timestamp (its publish time), else now.
    func prepare(_ batch: [KafkaMessage]) -> Prepared {
        BatchProcessor.validate(batch, validator: validator, configuration: configuration, now: Self.currentTime())
    }

    /// Loads watermarks, sensor states and partitions as a start does, then sends what a
    /// previous attempt (or process) committed but did not send.
    func recover() async throws {
        progress.withLock { if $0.startedAt == nil { $0.startedAt = .now } }
        let partitions = await RawPartitions.discover(client: kafkaClient, configuration: configuration, logger: logger)
        let processor = try await BatchProcessor.restore(
            validator: validator, configuration: configuration, database: database, logger: logger, timings: timings,
            expectedPartitions: partitions, partitionEnds: partitionEnds)
        progress.withLock { $0.current = processor }
        try await send(try await EmissionStore.pendingOutbox(on: database, logger: logger))
    }

    private var processor: BatchProcessor {
        get throws {
            guard let processor = progress.withLock({ $0.current }) else {
                throw IngestStreamError("the ingest stream handled a batch before its state was loaded")
            }
            return processor
        }
    }

    func handle(_ batch: [KafkaMessage], prepared: Prepared, context: BatchContext) async throws -> Output {
        let processor = try self.processor
        guard !batch.isEmpty else {
            // Idle: emit what other instances' progress (or idle partitions) made due.
            return try await processor.emitWhenIdle(database: database, now: Self.currentTime())
        }
        recordFirstBatch()
        return try await processor.process(
            batch, verdicts: prepared, database: database, now: Self.currentTime(), rebalances: context.rebalanceCount)
    }

    /// Sends a committed batch's rejections and observations (the worker then marks it processed).
    func publish(_ result: Output) async throws {
        // An idle tick that emitted nothing: no flush, no metrics.
        if result.emitted.isEmpty && result.outcome.received == 0 && result.outcome.redelivered == 0 {
            return
        }
        try await timings.measure("publish (beside the next transaction)") { try await send(result.emitted) }
        metrics.record(result.outcome)
        totals.add(result.outcome)
        await timings.measure("quality gauges") { await refreshQualityGauges() }
        logger.debug(
            "Batch handled",
            metadata: [
                "received": "\(result.outcome.received)", "accepted": "\(result.outcome.accepted)",
                "redelivered": "\(result.outcome.redelivered)", "traffic": "\(result.outcome.trafficEmitted)",
            ])
    }

    func close() async {
        await producer.close()
    }

    private func recordFirstBatch() {
        let started = progress.withLock { progress -> ContinuousClock.Instant? in
            guard !progress.sawFirstBatch else { return nil }
            progress.sawFirstBatch = true
            return progress.startedAt
        }
        if let started { timings.add(PhaseTimings.firstBatch, .now - started) }
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

    /// Sends committed outbox messages, waits for the broker, then forgets them.
    private func send(_ messages: [OutboxMessage]) async throws {
        for message in messages {
            try await producer.enqueue(topic: message.topic, key: message.key, value: message.payload)
        }
        try await producer.flush()
        guard !messages.isEmpty else { return }
        try await EmissionStore.deleteOutbox(messages.map(\.id), on: database, logger: logger)
    }

    static func currentTime() -> EpochMillis { EpochMillis(Date().timeIntervalSince1970 * 1000) }
}

struct IngestStreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
