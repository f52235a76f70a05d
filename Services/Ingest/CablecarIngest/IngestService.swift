import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarService
import Hummingbird
import Logging
import ServiceLifecycle

/// `cablecar-ingest` as a `ServiceMain.Definition`: configuration, topics, routes and the
/// pipeline worker. The executable only calls `ServiceMain.run(IngestService.definition)`.
public enum IngestService {
    public static let defaultHTTPPort = 8081

    public static let definition = ServiceMain.Definition<IngestConfiguration>(
        name: "cablecar-ingest",
        defaultHTTPPort: defaultHTTPPort,
        variables: IngestConfiguration.variables,
        migrations: MigrationScope(owns: ["ingest"]),
        configure: { try IngestConfiguration(environment: $0) },
        topics: { common in
            // The prefix is ingest's own variable; read it again here (topics get only the common part).
            let prefix = EnvironmentReader().values[IngestConfiguration.topicPrefix.name] ?? ""
            return (Topic.rawFeeds + [.observedTraffic, .observedContext, .rejected]).map {
                TopicSpecification(name: prefix + $0.rawValue, partitions: common.topicPartitions)
            }
        },
        build: { context, configuration, router in
            let catalog = try CityCatalog.load(path: configuration.cityPath)
            let brokers = context.configuration.kafkaBrokers
            let pipeline = try IngestPipeline(
                brokers: brokers, database: context.database, catalog: catalog, configuration: configuration, logger: context.logger,
                watch: context.databaseWatch, groupInstanceID: context.configuration.kafkaInstanceID,
                startup: { await context.startup.wait() })
            let pushProducer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    client: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-ingest-push")),
                logger: context.logger)
            let push = PushHandler(
                validator: RecordValidator(catalog: catalog, futureToleranceMillis: configuration.futureToleranceMillis),
                producer: pushProducer, bodyLimit: configuration.pushBodyLimit, topicPrefix: configuration.topicPrefix)
            IngestRoutes.add(to: router, database: context.database, catalog: catalog, push: push, logger: context.logger)
            return [pipeline]
        })
}
