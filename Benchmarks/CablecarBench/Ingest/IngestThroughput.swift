import CablecarDomain
import CablecarIngest
import CablecarKafka
import CablecarPostgres
import Foundation
import Logging
import PostgresNIO

/// End-to-end ingest throughput: raw records already on their topics, one in-process pipeline
/// consuming them, the clock stopping when every record is in the ledger and every emitted
/// observation has been acknowledged by the broker. Runs in a database and on topics of its
/// own, so repeated runs never see each other's state.
enum IngestThroughput {
    struct RawRecord: Sendable {
        var topic: Topic
        var key: [UInt8]
        var value: [UInt8]
        var publishTime: EpochMillis
    }

    struct Result: Sendable {
        var records: Int
        var seconds: Double
        var outcome: BatchOutcome
        var phases: [(phase: String, seconds: Double)]
        var recordsPerSecond: Double { Double(records) / seconds }
        /// Seconds spent before the first batch arrived (joining the consumer group).
        var startupSeconds: Double { phases.first { $0.phase == PhaseTimings.firstBatch }?.seconds ?? 0 }
        /// Throughput once partitions are assigned: what a running service sustains.
        var steadyRecordsPerSecond: Double { Double(records) / (seconds - startupSeconds) }
    }

    static func measure(
        _ records: [RawRecord], brokers: String, databaseURL: String, catalog: CityCatalog, batchSize: Int = 5_000, logger: Logger,
        kafkaProperties: [String: String] = [:]
    ) async throws -> Result {
        return try await BenchDatabase.withOwn(prefix: "ingest_bench", serverURL: databaseURL, drop: true, logger: logger) { database in
            let (suffix, admin, client) = (database.suffix, database.admin, database.client)
            // Rounds start alike: none inherits a checkpoint that the one before it made due.
            // (Needs superuser or pg_checkpoint; without it the round still runs.)
            do { try await admin.query("CHECKPOINT", logger: logger) } catch {
                logger.warning("Could not checkpoint before the round", metadata: ["error": "\(String(reflecting: error))"])
            }
            try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
            let configuration = IngestConfiguration(
                batchSize: batchSize, consumerGroup: "ingest-bench-\(suffix)", topicPrefix: "bench-\(suffix).")
            let kafka = KafkaClientConfiguration(brokers: brokers, clientID: "ingest-bench")
            try await KafkaAdmin(configuration: kafka, logger: logger).ensureTopics(
                (Topic.rawFeeds + [.observedTraffic, .observedContext, .rejected]).map {
                    TopicSpecification(name: configuration.name(of: $0), partitions: 3)
                })
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: kafka, lingerMilliseconds: 20), logger: logger)
            for record in records {
                try await producer.enqueue(
                    topic: configuration.name(of: record.topic), key: record.key, value: record.value, timestamp: record.publishTime)
            }
            try await producer.flush(timeout: .seconds(300))
            await producer.close()

            let pipeline = try IngestPipeline(
                brokers: brokers, database: client, catalog: catalog, configuration: configuration, logger: logger, watch: nil,
                kafkaProperties: kafkaProperties)
            let start = ContinuousClock.now
            let run = Task { try await pipeline.run() }
            while true {
                let ledger = try await LedgerStore.handledCount(on: client, logger: logger)
                let outbox = try await client.query("SELECT count(*) FROM ingest_outbox", logger: logger).decode(Int64.self).reduce(0, +)
                if ledger >= records.count && outbox == 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = ContinuousClock.now - start
            pipeline.stop()
            try await run.value
            let seconds = elapsed.inSeconds
            return Result(records: records.count, seconds: seconds, outcome: pipeline.handled, phases: pipeline.timings.seconds)
        }
    }
}
