import CablecarDomain
import CablecarKafka
import CablecarService
import Logging
import PostgresNIO
import Synchronization

/// The monitor's part of the stream (the `StreamWorker` does the rest): one transaction per
/// batch through `MonitorBatchHandler`, then the alert transitions it stored are published,
/// flushed and marked published.
///
/// Redelivery-safe, which is what lets the worker retry: the handler's writes are idempotent
/// (pairs by key, windows recomputed), `recover` rebuilds its in-memory state from the database
/// as a restart does, and the alert outbox re-sends what was stored but not acknowledged.
final class MonitorStream: StreamHandler, Sendable {
    typealias Prepared = Void

    struct Output: Sendable {
        var batch: MonitorBatchOutput
        var clock: EpochMillis?
    }

    private let producer: KafkaProducer
    private let database: PostgresClient
    private let configuration: MonitorConfiguration
    private let progress: MonitorProgress
    private let logger: Logger
    /// Rebuilt by every `recover`; the worker calls `handle` one batch at a time.
    private let handler = Mutex<MonitorBatchHandler?>(nil)

    init(
        producer: KafkaProducer, database: PostgresClient, configuration: MonitorConfiguration, progress: MonitorProgress,
        logger: Logger
    ) {
        self.producer = producer
        self.database = database
        self.configuration = configuration
        self.progress = progress
        self.logger = logger
    }

    var publishesBesideNextBatch: Bool { false }

    func prepare(_ batch: [KafkaMessage]) {}

    func recover() async throws {
        let restored = try await MonitorBatchHandler.restore(database: database, configuration: configuration, logger: logger)
        handler.withLock { $0 = restored }
        let unpublished = try await AlertStore.alerts(
            state: nil, neighborhood: nil, limit: 10_000, on: database, logger: logger, unpublishedOnly: true)
        try await publish(unpublished.reversed())
    }

    func handle(_ batch: [KafkaMessage], prepared: Void, context: BatchContext) async throws -> Output {
        // Idle ticks change nothing: hours close with the event clock, which only data moves.
        guard !batch.isEmpty else { return Output(batch: MonitorBatchOutput(), clock: nil) }
        guard var current = handler.withLock({ $0 }) else {
            throw MonitorStreamError("the monitor stream handled a batch before its state was loaded")
        }
        let output = try await current.handle(batch)
        handler.withLock { $0 = current }
        return Output(batch: output, clock: current.eventClock)
    }

    func publish(_ output: Output) async throws {
        try await publish(output.batch.alerts)
        if output.batch.predictions + output.batch.actuals + output.batch.rejected > 0 {
            progress.record(output.batch, clock: output.clock)
        }
    }

    func close() async {
        await producer.close()
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

struct MonitorStreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
