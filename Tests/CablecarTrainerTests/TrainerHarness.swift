import CablecarDomain
import CablecarForecasting
import CablecarKafka
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import CablecarTrainer

/// Serves the synthetic snapshot, restricted to the requested time range and neighborhoods,
/// as the feature store would (the data source of the worker tests; the simulated-month tests
/// use CablecarFeatures' in-process source).
struct SyntheticSnapshotSource: FeatureSnapshotSource {
    let full: FeatureSnapshot

    func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        let rows = full.rows.filter { row in
            row.timestamp >= request.start && row.timestamp < request.end
                && (request.neighborhoods.map { $0.contains(row.neighborhood) } ?? true)
        }
        return FeatureSnapshot(
            fingerprint: "\(full.fingerprint)-\(request.start)-\(request.end)-\(rows.count)", request: request,
            featureNames: full.featureNames, featureVersions: full.featureVersions, rows: rows)
    }

    /// The steps the snapshot holds, as the feature store reports what it has materialized (an
    /// alert's window that reaches back before them is narrowed to them).
    func materializedSteps() async throws -> ClosedRange<EpochMillis>? {
        guard let first = full.rows.lazy.map(\.timestamp).min(), let last = full.rows.lazy.map(\.timestamp).max() else { return nil }
        return first...last
    }
}

/// A migrated database of the test's own, the registry over it, the training queue, and a
/// topic prefix and consumer group of its own on the test broker.
struct TrainerHarness: Sendable {
    let brokers: String
    let database: PostgresClient
    let databaseConfiguration: DatabaseConfiguration
    let store: RegistryStore
    let queue: RequestQueue
    var configuration: TrainerConfiguration

    static let snapshot = SyntheticSnapshot.make(days: 14)

    static func with<T: Sendable>(
        leaseSeconds: Int = 600, gates: GateConfiguration = GateConfiguration(),
        _ body: @Sendable @escaping (TrainerHarness) async throws -> T
    ) async throws -> T {
        let endpoints = try await TestStack.shared.endpoints()
        let url = try await TestStack.shared.freshDatabaseURL()
        let databaseConfiguration = try DatabaseConfiguration(url: url)
        let client = Database.client(databaseConfiguration, logger: TestStack.logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            try await Migrator(migrations: try Migration.bundled(), logger: TestStack.logger).migrate(client)
            let configuration = TrainerConfiguration(
                modelName: "traffic-test", experiment: "trainer-test", consumerGroup: TestStack.uniqueName("trainer-group"),
                topicPrefix: TestStack.uniqueName("trainer") + ".", pollMillis: 50, leaseSeconds: leaseSeconds, gates: gates,
                // The synthetic city keeps UTC as its wall clock (its rush hours and weekends are UTC's).
                penalties: [0.1, 10, 1000], timeZone: "UTC")
            let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: endpoints.kafkaBrokers), logger: TestStack.logger)
            try await admin.ensureTopics(
                [Topic.trainRequests, .monitorAlerts].map { TopicSpecification(name: configuration.name(of: $0), partitions: 3) })
            let harness = TrainerHarness(
                brokers: endpoints.kafkaBrokers, database: client, databaseConfiguration: databaseConfiguration,
                store: RegistryStore(client: client, events: nil, logger: TestStack.logger),
                queue: RequestQueue(database: client, logger: TestStack.logger), configuration: configuration)
            return try await body(harness)
        }
    }

    func job(registry: (any TrainingRegistry)? = nil, snapshot: FeatureSnapshot = Self.snapshot) -> TrainingJob {
        TrainingJob(
            source: SyntheticSnapshotSource(full: snapshot),
            registry: registry ?? RegistryTrainingRegistry(store: store), configuration: configuration,
            logger: TestStack.logger)
    }

    func worker(_ id: String, registry: (any TrainingRegistry)? = nil, snapshot: FeatureSnapshot = Self.snapshot) -> TrainingWorker {
        TrainingWorker(
            queue: queue, job: job(registry: registry, snapshot: snapshot), configuration: configuration,
            watch: .database(databaseConfiguration, logger: TestStack.logger), logger: TestStack.logger, workerID: id)
    }

    /// A request over the whole synthetic snapshot (or `days` days of it from the start).
    static func request(_ id: String, days: Int = 14, offsetDays: Int = 0) -> TrainingRequest {
        let start = SyntheticSnapshot.monday + EpochMillis(offsetDays) * 86_400_000
        return TrainingRequest(
            requestID: id, eventTime: start, start: start, end: start + EpochMillis(days) * 86_400_000,
            targets: ["speed_kmh"], reason: .manual, requestedBy: "trainer-test")
    }

    func scalar(_ query: PostgresQuery) async throws -> Int64 {
        try await database.query(query, logger: TestStack.logger).decode(Int64.self).reduce(0) { $0 + $1 }
    }
}
