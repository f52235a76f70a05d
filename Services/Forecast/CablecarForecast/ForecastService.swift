import CablecarDomain
import CablecarFeatureClient
import CablecarKafka
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `cablecar-forecast` as a `ServiceMain.Definition`: the model manager and its `model.events`
/// listener, the forecaster over the feature store's online API, the prediction log, and the
/// forecast, Open Inference Protocol and admin routes.
public enum ForecastService {
    public static let defaultHTTPPort = 8084

    public static let definition = ServiceMain.Definition<ForecastConfiguration>(
        name: "cablecar-forecast",
        defaultHTTPPort: defaultHTTPPort,
        variables: ForecastConfiguration.variables,
        migrations: MigrationScope(owns: [], uses: ["registry"]),
        // Forecasts answer from the model in memory and the feature store (with its own timeout);
        // a canary or shadow rollout reads the version from the registry.
        databaseRoutes: .under(["/v1/admin/"]),
        configure: { environment in try ForecastConfiguration(environment: environment) },
        topics: { common in
            // The prefix is the service's own variable; topics get only the common part.
            let prefix = EnvironmentReader().values[ForecastConfiguration.topicPrefix.name] ?? ""
            // model.events carries the same prefix as the trainer that hosts the registry.
            return [
                TopicSpecification(name: prefix + Topic.modelEvents.rawValue, partitions: common.topicPartitions),
                TopicSpecification(name: prefix + Topic.forecastPredictions.rawValue, partitions: common.topicPartitions),
            ]
        },
        build: { context, configuration, router in
            let city = try CityDefinition.load(from: URL(fileURLWithPath: configuration.cityPath))
            let store = RegistryStore(client: context.database, events: nil, logger: context.logger)
            let manager = ModelManager(
                source: RegistryModelSource(store: store, modelName: configuration.modelName), logger: context.logger)
            context.readiness.add(ModelReadiness(holder: manager.holder))
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    client: KafkaClientConfiguration(brokers: context.configuration.kafkaBrokers, clientID: "cablecar-forecast"),
                    lingerMilliseconds: 20),
                logger: context.logger)
            let log = PredictionLog(
                producer: producer, topic: configuration.name(of: .forecastPredictions), capacity: configuration.logBuffer,
                logger: context.logger)
            let features = FeatureClientSource(
                client: FeatureClient(
                    baseURL: configuration.featuresURL, cacheTTL: .milliseconds(configuration.featureCacheMillis), recordSnapshots: false),
                timeout: .milliseconds(configuration.featuresTimeoutMillis))
            let components = Components(
                manager: manager, features: features, sink: log, catalog: SegmentCatalog(city: city), configuration: configuration,
                logger: context.logger)
            components.mount(on: router)
            let listener = try ModelEventListener(
                brokers: context.configuration.kafkaBrokers, topic: configuration.name(of: .modelEvents),
                groupID: configuration.consumerGroup, manager: manager,
                watch: context.databaseWatch, logger: context.logger,
                groupInstanceID: context.configuration.kafkaInstanceID, startup: { await context.startup.wait() })
            let refresher = ModelRefresher(manager: manager, startup: { await context.startup.wait() })
            return [log, listener, refresher]
        })

    /// The serving parts, wired the same way by `main` and by the tests.
    public struct Components: Sendable {
        public let manager: ModelManager
        public let forecaster: Forecaster
        public let validator: RequestValidator
        public let configuration: ForecastConfiguration

        public init(
            manager: ModelManager, features: any FeatureSource, sink: any PredictionSink, catalog: SegmentCatalog,
            configuration: ForecastConfiguration, clock: ServingClock? = nil, logger: Logger
        ) {
            self.manager = manager
            self.configuration = configuration
            forecaster = Forecaster(
                holder: manager.holder, features: features, sink: sink, catalog: catalog,
                clock: clock ?? ServingClock(mode: configuration.clock), maxFeatureAgeMillis: configuration.featureMaxAgeMillis,
                logger: logger)
            validator = RequestValidator(catalog: catalog, maxSegments: configuration.maxSegments)
        }

        public func mount<Context: RequestContext>(on router: Router<Context>) {
            ForecastRoutes.add(
                to: router, forecaster: forecaster, manager: manager, validator: validator, bodyLimit: configuration.bodyLimit,
                adminToken: configuration.adminToken)
            InferenceRoutes.add(
                to: router, forecaster: forecaster, validator: validator, modelName: configuration.modelName,
                bodyLimit: configuration.bodyLimit)
        }
    }
}

/// Re-reads the registry's production version every 30 s: a start while the database was down,
/// or a `model.events` message that never came, heals without a restart.
struct ModelRefresher: Service {
    let manager: ModelManager
    let startup: @Sendable () async -> Void
    var interval: Duration = .seconds(30)

    func run() async throws {
        await startup()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await manager.refreshProduction()
        }
    }
}
