import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// A fresh migrated database, a `model.events` topic of the test's own on the real broker,
/// and a store publishing to it.
struct RegistryHarness: Sendable {
    let brokers: String
    let database: PostgresClient
    let eventsTopic: String
    let store: RegistryStore

    static func with<T: Sendable>(
        limits: RegistryStore.Limits = RegistryStore.Limits(), _ body: @Sendable @escaping (RegistryHarness) async throws -> T
    ) async throws -> T {
        let endpoints = try await TestStack.shared.endpoints()
        let url = try await TestStack.shared.freshDatabaseURL()
        let client = Database.client(try DatabaseConfiguration(url: url), logger: TestStack.logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            try await Migrator(migrations: try Migration.bundled(), logger: TestStack.logger).migrate(client)
            let topic = TestStack.uniqueName("registry") + "." + Topic.modelEvents.rawValue
            let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: endpoints.kafkaBrokers), logger: TestStack.logger)
            try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 3)])
            let publisher = try KafkaModelEventPublisher(brokers: endpoints.kafkaBrokers, topic: topic, logger: TestStack.logger)
            let store = RegistryStore(client: client, events: publisher, limits: limits, logger: TestStack.logger)
            let harness = RegistryHarness(brokers: endpoints.kafkaBrokers, database: client, eventsTopic: topic, store: store)
            let result = try await body(harness)
            await publisher.producer.close()
            return result
        }
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        var total = 0
        for try await value in try await database.query(query, logger: TestStack.logger).decode(Int.self) { total += value }
        return total
    }

    /// A finished run with an artifact, ready to be registered.
    func trainedRun(experiment: String = "exp", artifact: String = "model/weights.bin") async throws -> Run {
        let experiment = try await store.ensureExperiment(name: experiment)
        let run = try await store.createRun(experimentID: experiment.id, name: "fit")
        try await store.putArtifact(runID: run.id, path: artifact, bytes: Array("weights of \(run.id)".utf8))
        return try await store.finishRun(runID: run.id, status: .finished)
    }

    /// Reads `expected` events back from the real broker with a consumer group of its own.
    func consumeEvents(expected: Int, timeout: Duration = .seconds(60)) async throws -> [ModelEvent] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "registry-test-reader"),
                groupID: TestStack.uniqueName("reader")),
            logger: TestStack.logger)
        try consumer.subscribe(to: [eventsTopic])
        var events: [ModelEvent] = []
        let deadline = ContinuousClock.now + timeout
        let reader = Task { () -> [ModelEvent] in
            var collected: [ModelEvent] = []
            while collected.count < expected, let batch = try await consumer.nextBatch() {
                for message in batch { collected.append(try WireCodec.decode(ModelEvent.self, from: message.value)) }
            }
            return collected
        }
        let watchdog = Task {
            try? await Task.sleep(until: deadline)
            await consumer.close()
        }
        events = try await reader.value
        watchdog.cancel()
        await consumer.close()
        return events
    }
}
