import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarPostgres
import CablecarService
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `cablecar-features` as a `ServiceMain.Definition`: configuration, topics, routes and the
/// streaming worker. The executable only calls `ServiceMain.run(FeatureStoreService.definition)`.
public enum FeatureStoreService {
    public static let defaultHTTPPort = 8082

    public static let definition = ServiceMain.Definition<FeatureStoreConfiguration>(
        name: "cablecar-features",
        defaultHTTPPort: defaultHTTPPort,
        variables: FeatureStoreConfiguration.variables,
        migrations: MigrationScope(owns: ["features"]),
        configure: { try FeatureStoreConfiguration(environment: $0) },
        topics: { common in
            let prefix = EnvironmentReader().values[FeatureStoreConfiguration.topicPrefix.name] ?? ""
            return [Topic.observedTraffic, .observedContext, .featuresReady].map {
                TopicSpecification(name: prefix + $0.rawValue, partitions: common.topicPartitions)
            }
        },
        build: { context, configuration, router in
            let city = try CityDefinition.load(from: URL(fileURLWithPath: configuration.cityPath))
            let computer = try FeatureComputer(city: city)
            let pipeline = try FeaturePipeline(
                brokers: context.configuration.kafkaBrokers, database: context.database, computer: computer,
                configuration: configuration, logger: context.logger, watch: context.databaseWatch,
                groupInstanceID: context.configuration.kafkaInstanceID,
                startup: { await context.startup.wait() })
            FeatureRoutes.add(
                to: router, computer: computer, configuration: configuration, database: context.database, logger: context.logger,
                progress: pipeline.progress)
            return [pipeline]
        })
}
