import CablecarDomain
import CablecarFeatureClient
import CablecarKafka
import CablecarNumerics
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarRegistryHTTP
import CablecarService
import Hummingbird
import Logging
import ServiceLifecycle

/// `cablecar-trainer` as a `ServiceMain.Definition`: the intake (train.requests, monitor.alerts),
/// the training worker, the train API, and the model registry it hosts (MLflow-compatible API,
/// outbox relay for model.events). The executable only calls `ServiceMain.run(TrainerService.definition)`.
public enum TrainerService {
    public static let defaultHTTPPort = 8083

    public struct Configuration: Sendable {
        public var trainer: TrainerConfiguration
        public var registry: RegistryConfiguration
    }

    public static let definition = ServiceMain.Definition<Configuration>(
        name: "cablecar-trainer",
        defaultHTTPPort: defaultHTTPPort,
        variables: TrainerConfiguration.variables + RegistryConfiguration.variables,
        migrations: MigrationScope(owns: ["trainer", "registry"]),
        configure: { environment in
            Configuration(
                trainer: try TrainerConfiguration(environment: environment),
                registry: try RegistryConfiguration(environment: environment))
        },
        topics: { common in
            // The prefix is the trainer's own variable; read it again here (topics get only the common part).
            let prefix = EnvironmentReader().values[TrainerConfiguration.topicPrefix.name] ?? ""
            return RegistryService.topics(common, topicPrefix: prefix)
                + [Topic.trainRequests, .monitorAlerts].map {
                    TopicSpecification(name: prefix + $0.rawValue, partitions: common.topicPartitions)
                }
        },
        build: { context, configuration, router in
            let registry = try RegistryService.mount(
                on: router, context: context, configuration: configuration.registry, topicPrefix: configuration.trainer.topicPrefix)
            let trainer = configuration.trainer
            // Fit times depend on it by 30 % (see `BLASKernel`).
            context.logger.info("Numerics ready", metadata: ["openblas.core": "\(BLASKernel.coreName)"])
            let queue = RequestQueue(database: context.database, logger: context.logger)
            let job = TrainingJob(
                source: PatientSnapshotSource(
                    FeatureClient(baseURL: trainer.featuresURL), patience: .seconds(trainer.featuresPatienceSeconds),
                    logger: context.logger),
                registry: RegistryTrainingRegistry(store: registry.store), configuration: trainer, logger: context.logger)
            let startup: @Sendable () async -> Void = { await context.startup.wait() }
            let intake = try RequestIntake(
                brokers: context.configuration.kafkaBrokers, queue: queue, configuration: trainer, logger: context.logger,
                watch: context.databaseWatch, groupInstanceID: context.configuration.kafkaInstanceID, startup: startup)
            let worker = TrainingWorker(
                queue: queue, job: job, configuration: trainer, watch: context.databaseWatch,
                logger: context.logger, startup: startup)
            TrainerRoutes.add(to: router, queue: queue, bodyLimit: trainer.bodyLimit, maxQueued: trainer.maxQueued, logger: context.logger)
            return [registry.relay, intake, worker]
        })
}
