import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import CablecarMonitor

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A migrated database, topics under a prefix of the test's own and a consumer group of its
/// own, against the test process's real Postgres and broker.
struct MonitorHarness: Sendable {
    let brokers: String
    let database: PostgresClient
    let configuration: MonitorConfiguration

    /// `databaseURL`: a database of the test's own (e.g. a `DedicatedPostgres` it stops and starts).
    static func with<T: Sendable>(
        configuration: MonitorConfiguration = MonitorConfiguration(), databaseURL: String? = nil,
        _ body: @Sendable @escaping (MonitorHarness) async throws -> T
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
            var configuration = configuration
            configuration.consumerGroup = TestStack.uniqueName("monitor-group")
            configuration.topicPrefix = TestStack.uniqueName("monitor") + "."
            let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: endpoints.kafkaBrokers), logger: TestStack.logger)
            // obs.traffic on one partition: the monitor's event-time clock is the newest actual,
            // so the test keeps actuals in event-time order (docs/monitor.md, limitations).
            try await admin.ensureTopics(
                [Topic.forecastPredictions, .observedTraffic, .monitorAlerts].map {
                    TopicSpecification(name: configuration.name(of: $0), partitions: $0 == .observedTraffic ? 1 : 3)
                })
            return try await body(MonitorHarness(brokers: endpoints.kafkaBrokers, database: client, configuration: configuration))
        }
    }

    func pipeline(retry: RetryPolicy = .standard) throws -> MonitorPipeline {
        try MonitorPipeline(
            brokers: brokers, database: database, configuration: configuration, logger: TestStack.logger, watch: nil, retry: retry)
    }

    func publish(predictions: [Forecast] = [], observations: [TrafficObservation] = []) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "monitor-test"), lingerMilliseconds: 10),
            logger: TestStack.logger)
        for o in observations {
            try await producer.enqueue(
                topic: configuration.name(of: .observedTraffic), key: Array(o.segmentID.utf8), value: try WireCodec.encode(o))
        }
        for f in predictions {
            try await producer.enqueue(
                topic: configuration.name(of: .forecastPredictions), key: Array(f.segmentID.utf8), value: try WireCodec.encode(f))
        }
        try await producer.flush()
        await producer.close()
    }

    /// Registers version 1 of model "traffic" from a run holding `metrics` and `artifacts`, as the
    /// trainer leaves it.
    func registerVersion(metrics: [MetricPoint] = [], artifacts: [String: [UInt8]] = [:]) async throws {
        let registry = RegistryStore(client: database, events: nil, logger: TestStack.logger)
        let experiment = try await registry.ensureExperiment(name: "traffic")
        let run = try await registry.createRun(experimentID: experiment.id)
        if !metrics.isEmpty { try await registry.logMetrics(runID: run.id, metrics) }
        for (path, bytes) in artifacts { _ = try await registry.putArtifact(runID: run.id, path: path, bytes: bytes) }
        _ = try await registry.ensureRegisteredModel(name: "traffic")
        _ = try await registry.createModelVersion(modelName: "traffic", runID: run.id)
    }

    /// Publishes the predictions (the first `redelivered` of them twice), waits until they are
    /// consumed, then the actuals in event-time order as ingest emits them; returns the messages
    /// consumed in all.
    func replay(
        predictions: [Forecast], redelivered: Int, observations: [TrafficObservation], through pipeline: MonitorPipeline
    ) async throws -> Int {
        try await publish(predictions: predictions + predictions.prefix(redelivered))
        try await waitFor(messages: predictions.count + redelivered, pipeline)
        try await publish(observations: observations.sorted { ($0.eventTime, $0.segmentID) < ($1.eventTime, $1.segmentID) })
        let total = predictions.count + redelivered + observations.count
        try await waitFor(messages: total, pipeline)
        return total
    }

    /// Waits until the pipeline consumed `messages` in all and then nothing new for a moment.
    func waitFor(messages: Int, _ pipeline: MonitorPipeline, timeout: Duration = .seconds(120)) async throws {
        try await eventually(
            timeout: timeout, "the monitor consumed \(pipeline.progress.value.messages) of \(messages) messages within \(timeout)"
        ) { pipeline.progress.value.messages >= messages }
    }

    /// Every message of monitor.alerts, read by a group of its own for at most `timeout`.
    func drainAlerts(atLeast count: Int, timeout: Duration = .seconds(20)) async throws -> [MonitorAlert] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "monitor-test-reader"), groupID: TestStack.uniqueName("reader")
            ),
            logger: TestStack.logger)
        try consumer.subscribe(to: [configuration.name(of: .monitorAlerts)])
        var collected: [MonitorAlert] = []
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            await consumer.close()
        }
        defer { watchdog.cancel() }
        while collected.count < count {
            guard let batch = try await consumer.nextBatch() else { break }
            collected += try batch.map { try WireCodec.decode(MonitorAlert.self, from: $0.value) }
        }
        await consumer.close()
        return collected
    }
}
