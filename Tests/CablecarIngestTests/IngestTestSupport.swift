import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarService
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import CablecarIngest

/// A migrated database, a topic prefix and a consumer group of a test's own, against the test
/// process's real Postgres and broker.
struct IngestHarness: Sendable {
    let brokers: String
    let database: PostgresClient
    let configuration: IngestConfiguration
    let catalog: CityCatalog

    static let city: CityDefinition = try! CityDefinition.bundledDefault()

    /// Runs `body` with a fresh, migrated database whose client runs around it.
    /// `databaseURL`: a database of the test's own (e.g. a `DedicatedPostgres` it stops and starts).
    /// `brokers`: a broker of the test's own (e.g. a `DedicatedBroker` it restarts).
    static func with<T: Sendable>(
        allowedLatenessMillis: Int64 = 240_000, batchSize: Int = 2_000, idlePartitionMillis: Int64? = 60_000, databaseURL: String? = nil,
        brokers: String? = nil, _ body: @Sendable @escaping (IngestHarness) async throws -> T
    ) async throws -> T {
        let endpoints = try await TestStack.shared.endpoints()
        let brokers = brokers ?? endpoints.kafkaBrokers
        let url: String
        if let databaseURL { url = databaseURL } else { url = try await TestStack.shared.freshDatabaseURL() }
        let client = Database.client(try DatabaseConfiguration(url: url), logger: TestStack.logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            try await Migrator(migrations: try Migration.bundled(), logger: TestStack.logger).migrate(client)
            let prefix = TestStack.uniqueName("ingest") + "."
            let configuration = IngestConfiguration(
                allowedLatenessMillis: allowedLatenessMillis, idlePartitionMillis: idlePartitionMillis, batchSize: batchSize,
                consumerGroup: TestStack.uniqueName("ingest-group"), topicPrefix: prefix)
            let harness = IngestHarness(brokers: brokers, database: client, configuration: configuration, catalog: CityCatalog(city: city))
            try await harness.createTopics()
            return try await body(harness)
        }
    }

    /// The raw, observation and rejection topics, three partitions each.
    func createTopics() async throws {
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: brokers), logger: TestStack.logger)
        try await admin.ensureTopics(
            (Topic.rawFeeds + [.observedTraffic, .observedContext, .rejected]).map {
                TopicSpecification(name: configuration.name(of: $0), partitions: 3)
            })
    }

    func pipeline(retry: RetryPolicy = .standard) throws -> IngestPipeline {
        try IngestPipeline(
            brokers: brokers, database: database, catalog: catalog, configuration: configuration, logger: TestStack.logger, watch: nil,
            retry: retry)
    }

    /// Publishes simulated records as the simulator would, with their publish time as the
    /// Kafka timestamp.
    func publish(_ records: ArraySlice<FeedRecord>) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "ingest-test-sim"), lingerMilliseconds: 20),
            logger: TestStack.logger)
        for record in records {
            try await producer.enqueue(
                topic: configuration.name(of: record.topic), key: record.key, value: record.value, timestamp: record.publishTime)
        }
        try await producer.flush()
        await producer.close()
    }

    func scalar(_ query: PostgresQuery) async throws -> Int64 {
        try await database.query(query, logger: TestStack.logger).decode(Int64.self).reduce(0) { $0 + $1 }
    }

    /// Waits until the ledger has counted `count` messages and every committed emission was sent.
    func waitUntilProcessed(_ count: Int, timeout: Duration = .seconds(600)) async throws {
        try await eventually(timeout: timeout, every: .milliseconds(200), "ingest did not process \(count) messages within \(timeout)") {
            let ledger = try await scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts")
            let outbox = try await scalar("SELECT count(*) FROM ingest_outbox")
            return ledger >= count && outbox == 0
        }
    }

    /// Every message of an output topic, read by a consumer group of its own until the topic
    /// has been quiet for `quiet`.
    func drain(_ topic: Topic, quiet: Duration = .seconds(4)) async throws -> [[UInt8]] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "ingest-test-reader"), groupID: TestStack.uniqueName("reader")),
            logger: TestStack.logger)
        try consumer.subscribe(to: [configuration.name(of: topic)])
        let collected = Collected()
        let reader = Task {
            while let batch = try await consumer.nextBatch() { collected.append(batch.map { Array($0.value) }) }
        }
        // Patient time: a starved machine must not pass for a quiet topic.
        var lastCount = -1
        var sinceChange = PatientClock()
        var sinceStart = Duration.zero
        while true {
            let before = sinceChange.charged
            try await sinceChange.pause(.milliseconds(250))
            sinceStart += sinceChange.charged - before
            let count = collected.count
            if count != lastCount {
                lastCount = count
                sinceChange = PatientClock()
            } else if sinceChange.charged > quiet && (count > 0 || sinceStart > .seconds(20)) {
                break
            }
        }
        await consumer.close()
        _ = try? await reader.value
        return collected.values
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [[UInt8]] = []
    func append(_ values: [[UInt8]]) { lock.withLock { stored += values } }
    var count: Int { lock.withLock { stored.count } }
    var values: [[UInt8]] { lock.withLock { stored } }
}

extension IngestHarness {
    /// "segment@interval start" of the five-minute observation a raw loop or camera record
    /// counts toward; nil for the other feeds.
    func trafficKey(of record: FeedRecord) throws -> String? {
        let sensorID: String
        let eventTime: EpochMillis
        switch record.topic {
        case .rawLoop:
            let reading = try WireCodec.decode(LoopDetectorReading.self, from: record.value)
            (sensorID, eventTime) = (reading.sensorID, reading.eventTime)
        case .rawCamera:
            let count = try WireCodec.decode(CameraCount.self, from: record.value)
            (sensorID, eventTime) = (count.sensorID, count.eventTime)
        default:
            return nil
        }
        guard let segment = catalog.sensors[sensorID]?.segment else { throw HarnessError("sensor \(sensorID) is not in the city") }
        return "\(segment)@\(Interval.start(containing: eventTime))"
    }
}

extension IngestHarness {
    /// Runs `body` with a client on a fresh database migrated only through `version` (the
    /// schema of an older release); `upgrade` applies every later migration.
    static func withOldSchema(
        through version: Int, _ body: @Sendable (PostgresClient, _ upgrade: @Sendable () async throws -> Void) async throws -> Void
    ) async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let client = Database.client(try DatabaseConfiguration(url: url), logger: TestStack.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let all = try Migration.bundled()
            try await Migrator(migrations: all.filter { $0.version <= version }, logger: TestStack.logger).migrate(client)
            try await body(client) { try await Migrator(migrations: all, logger: TestStack.logger).migrate(client) }
        }
    }
}
