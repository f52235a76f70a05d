import CablecarDomain
import CablecarForecast
import CablecarForecasting
import CablecarKafka
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// A migrated database of the test's own with the registry over it (publishing `model.events` to
/// a topic of the test's own on the real broker), and the serving parts wired to it.
struct ForecastHarness: Sendable {
    static let modelName = "traffic-test"
    static let token = "test-admin-token"

    let brokers: String
    let database: PostgresClient
    let store: RegistryStore
    let prefix: String
    let manager: ModelManager

    var eventsTopic: String { prefix + Topic.modelEvents.rawValue }
    var predictionsTopic: String { prefix + Topic.forecastPredictions.rawValue }

    static func with<T: Sendable>(_ body: @Sendable @escaping (ForecastHarness) async throws -> T) async throws -> T {
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
            let prefix = TestStack.uniqueName("forecast") + "."
            let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: endpoints.kafkaBrokers), logger: TestStack.logger)
            try await admin.ensureTopics(
                [Topic.modelEvents, .forecastPredictions].map { TopicSpecification(name: prefix + $0.rawValue, partitions: 3) })
            let publisher = try KafkaModelEventPublisher(
                brokers: endpoints.kafkaBrokers, topic: prefix + Topic.modelEvents.rawValue, logger: TestStack.logger)
            let store = RegistryStore(client: client, events: publisher, logger: TestStack.logger)
            _ = try await store.createRegisteredModel(name: modelName)
            let manager = ModelManager(source: RegistryModelSource(store: store, modelName: modelName), logger: TestStack.logger)
            let harness = ForecastHarness(brokers: endpoints.kafkaBrokers, database: client, store: store, prefix: prefix, manager: manager)
            let result = try await body(harness)
            await publisher.producer.close()
            return result
        }
    }

    /// Registers `model` as a new version (candidate), moved on to `stage` when given.
    @discardableResult
    func register(_ model: RidgeForecastModel, stage: ModelStage? = .production) async throws -> Int {
        let experiment = try await store.ensureExperiment(name: "forecast-tests")
        let run = try await store.createRun(experimentID: experiment.id, name: "fit")
        let version = try await store.createModelVersion(
            modelName: Self.modelName, runID: run.id, artifactPath: "model/model.json", artifact: try model.artifact())
        _ = try await store.finishRun(runID: run.id, status: .finished)
        if let stage {
            if stage == .production || stage == .staging {
                _ = try await store.transition(
                    modelName: Self.modelName, version: version.version, to: stage, actor: "test", reason: "test")
            }
        }
        return version.version
    }

    func configuration(adminToken: String? = ForecastHarness.token, maxSegments: Int = 300) -> ForecastConfiguration {
        ForecastConfiguration(
            modelName: Self.modelName, topicPrefix: prefix, maxSegments: maxSegments, adminToken: adminToken)
    }

    /// The serving parts over `features`, issuing forecasts at the fixture's last step.
    func components(
        features: any FeatureSource = StaticFeatureSource(), sink: any PredictionSink = MemorySink(),
        configuration: ForecastConfiguration? = nil
    ) -> ForecastService.Components {
        ForecastService.Components(
            manager: manager, features: features, sink: sink, catalog: ForecastFixture.catalog,
            configuration: configuration ?? self.configuration(),
            clock: ServingClock(mode: .wall, now: { ForecastFixture.lastStep + 90_000 }), logger: TestStack.logger)
    }

    func application(_ components: ForecastService.Components) -> some ApplicationProtocol {
        let router = Router()
        components.mount(on: router)
        return Application(router: router)
    }

    /// Reads at least `expected` predictions back from the real broker with a group of its own.
    func consumePredictions(expected: Int, timeout: Duration = .seconds(60)) async throws -> [(key: String?, forecast: Forecast)] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: KafkaClientConfiguration(brokers: brokers, clientID: "forecast-test-reader"),
                groupID: TestStack.uniqueName("reader")),
            logger: TestStack.logger)
        try consumer.subscribe(to: [predictionsTopic])
        let reader = Task { () -> [(key: String?, forecast: Forecast)] in
            var collected: [(key: String?, forecast: Forecast)] = []
            while collected.count < expected, let batch = try await consumer.nextBatch() {
                for message in batch { collected.append((message.keyString, try WireCodec.decode(Forecast.self, from: message.value))) }
            }
            return collected
        }
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            await consumer.close()
        }
        let result = try await reader.value
        watchdog.cancel()
        await consumer.close()
        return result
    }

    /// A JSON object from a test response.
    static func json(_ data: some Sequence<UInt8>) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else {
            throw HarnessFailure("not a JSON object: \(String(decoding: Data(data), as: UTF8.self))")
        }
        return object
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
