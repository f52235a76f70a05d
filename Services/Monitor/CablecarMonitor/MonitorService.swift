import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarService
import Hummingbird
import ServiceLifecycle

/// `cablecar-monitor` as a `ServiceMain.Definition`: configuration, topics, routes and the
/// consume loop. The executable only calls `ServiceMain.run(MonitorService.definition)`.
public enum MonitorService {
    public static let defaultHTTPPort = 8085

    public static let definition = ServiceMain.Definition<MonitorConfiguration>(
        name: "cablecar-monitor",
        defaultHTTPPort: defaultHTTPPort,
        variables: MonitorConfiguration.variables,
        migrations: MigrationScope(owns: ["monitor"], uses: ["registry"]),
        configure: { try MonitorConfiguration(environment: $0) },
        topics: { common in
            let prefix = EnvironmentReader().values[MonitorConfiguration.topicPrefix.name] ?? ""
            return [Topic.forecastPredictions, .observedTraffic, .monitorAlerts].map {
                TopicSpecification(name: prefix + $0.rawValue, partitions: common.topicPartitions)
            }
        },
        build: { context, configuration, router in
            let pipeline = try MonitorPipeline(
                brokers: context.configuration.kafkaBrokers, database: context.database, configuration: configuration,
                logger: context.logger, watch: context.databaseWatch, groupInstanceID: context.configuration.kafkaInstanceID,
                startup: { await context.startup.wait() })
            MonitorRoutes.add(
                to: router, database: context.database, progress: pipeline.progress, driftThreshold: configuration.rule.driftThreshold,
                logger: context.logger)
            return [pipeline]
        })
}
