import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarPostgres
import CablecarService
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import CablecarFeatureStore

/// A migrated database, topics under a prefix of the test's own and a consumer group of its
/// own, against the test process's real Postgres and broker.
struct FeatureStoreHarness: Sendable {
    let brokers: String
    let database: PostgresClient
    let configuration: FeatureStoreConfiguration
    let computer: FeatureComputer

    /// `databaseURL`: a database of the test's own (e.g. a `DedicatedPostgres` it stops and starts).
    static func with<T: Sendable>(
        city: CityDefinition, maxEntities: Int = 500, batchSize: Int = 700, databaseURL: String? = nil,
        _ body: @Sendable @escaping (FeatureStoreHarness) async throws -> T
    ) async throws -> T {
        let endpoints = try await TestStack.shared.endpoints()
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
            let configuration = FeatureStoreConfiguration(
                consumerGroup: TestStack.uniqueName("features-group"), topicPrefix: TestStack.uniqueName("features") + ".",
                batchSize: batchSize, maxEntities: maxEntities, maxRetrievalRows: 50_000)
            let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: endpoints.kafkaBrokers), logger: TestStack.logger)
            try await admin.ensureTopics(
                [Topic.observedTraffic, .observedContext, .featuresReady].map {
                    TopicSpecification(name: configuration.name(of: $0), partitions: 3)
                })
            let harness = FeatureStoreHarness(
                brokers: endpoints.kafkaBrokers, database: client, configuration: configuration, computer: try FeatureComputer(city: city))
            return try await body(harness)
        }
    }

    /// `partitionIdleAfter` is wall time: on a starved machine a partition that is merely not
    /// being fetched looks idle, so tests asserting exact availability give it more.
    func pipeline(retry: RetryPolicy = .standard, partitionIdleAfter: Duration = .seconds(10)) throws -> FeaturePipeline {
        try FeaturePipeline(
            brokers: brokers, database: database, computer: computer, configuration: configuration, logger: TestStack.logger, watch: nil,
            partitionIdleAfter: partitionIdleAfter, retry: retry)
    }

    func publish(_ messages: some Sequence<StreamScenario.Message>) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "features-test"), lingerMilliseconds: 10),
            logger: TestStack.logger)
        for message in messages {
            try await producer.enqueue(topic: configuration.name(of: message.topic), key: Array(message.key.utf8), value: message.value)
        }
        try await producer.flush()
        await producer.close()
    }

    func scalar(_ query: PostgresQuery) async throws -> Int64 {
        try await database.query(query, logger: TestStack.logger).decode(Int64.self).reduce(0) { $0 + $1 }
    }

    func text(_ query: PostgresQuery) async throws -> String {
        var result = ""
        for try await (value) in try await database.query(query, logger: TestStack.logger).decode(String?.self) { result += value ?? "" }
        return result
    }

    /// Waits until the pipeline has written the step `step`.
    func waitForStep(_ step: EpochMillis, _ pipeline: FeaturePipeline, timeout: Duration = .seconds(300)) async throws {
        try await eventually(
            timeout: timeout,
            "the pipeline did not reach step \(step) within \(timeout) (at \(String(describing: pipeline.progress.value)))"
        ) {
            if let last = pipeline.progress.value.lastStep, last >= step { return true }
            return false
        }
    }

    /// Waits until the pipeline has consumed at least `count` messages (redeliveries count too).
    func waitUntilConsumed(_ count: Int, _ pipeline: FeaturePipeline, timeout: Duration = .seconds(300)) async throws {
        try await eventually(
            timeout: timeout,
            "the pipeline did not consume \(count) messages within \(timeout) (at \(String(describing: pipeline.progress.value)))"
        ) { pipeline.progress.value.observations >= count }
    }

    /// Waits until the pipeline has consumed nothing new for `quiet`.
    func waitUntilQuiet(_ pipeline: FeaturePipeline, quiet: Duration = .seconds(3)) async throws {
        // Patient time: a starved machine must not pass for a quiet pipeline.
        var last = pipeline.progress.value
        var clock = PatientClock()
        while clock.charged < quiet {
            try await clock.pause(.milliseconds(200))
            let now = pipeline.progress.value
            if now != last {
                last = now
                clock = PatientClock()
            }
        }
    }

    /// Stored revisions, for the brute-force reference.
    func storedHistory() async throws -> (traffic: [BruteForceReference.TrafficRevision], context: [BruteForceReference.ContextRevision]) {
        var traffic: [BruteForceReference.TrafficRevision] = []
        let rows = try await database.query(
            "SELECT segment_id, event_time, revision, available_at, flow, speed, occupancy FROM feature_traffic_history",
            logger: TestStack.logger)
        for try await (segment, start, revision, available, flow, speed, occupancy) in rows.decode(
            (String, Int64, Int32, Int64, Double, Double?, Double?).self)
        {
            traffic.append(
                .init(
                    segment: segment, intervalStart: start, revision: Int(revision), availableAt: available, flow: flow, speed: speed,
                    occupancy: occupancy))
        }
        var context: [BruteForceReference.ContextRevision] = []
        let contextRows = try await database.query(
            """
            SELECT neighborhood, event_time, revision, available_at, temperature, precipitation, visibility, active_events, active_incidents, transit_delay
            FROM feature_context_history
            """, logger: TestStack.logger)
        for try await (n, start, revision, available, temperature, precipitation, visibility, events, incidents, delay)
            in contextRows.decode(
                (String, Int64, Int32, Int64, Double?, Double?, Double?, Int32, Int32, Double?).self)
        {
            context.append(
                .init(
                    neighborhood: n, intervalStart: start, revision: Int(revision), availableAt: available,
                    values: [
                        "temperature_c": temperature, "precipitation_mm_h": precipitation, "visibility_m": visibility,
                        "active_events": Double(events), "active_incidents": Double(incidents), "transit_delay_s": delay,
                    ]))
        }
        return (traffic, context)
    }

    /// Every message of features.ready, read by a group of its own until quiet.
    func drainReady(expecting: Int, timeout: Duration = .seconds(60)) async throws -> [FeaturesReady] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "features-test-reader"),
                groupID: TestStack.uniqueName("reader")),
            logger: TestStack.logger)
        try consumer.subscribe(to: [configuration.name(of: .featuresReady)])
        var collected: [FeaturesReady] = []
        // nextBatch waits for messages; closing the consumer ends the wait when time is up.
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            await consumer.close()
        }
        defer { watchdog.cancel() }
        while Set(collected.map(\.timestamp)).count < expecting {
            guard let batch = try await consumer.nextBatch() else { break }
            collected += try batch.map { try WireCodec.decode(FeaturesReady.self, from: $0.value) }
        }
        await consumer.close()
        return collected
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= 1e-9 * max(1, abs(x), abs(y))
    default: return false
    }
}
