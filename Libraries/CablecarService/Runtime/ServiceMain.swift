import CablecarKafka
import CablecarPostgres
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle

/// The shared `main` of every Cablecar service: configuration, logging, metrics, database
/// client, migrations, topics, the HTTP server with health and metrics, and graceful shutdown
/// on SIGTERM/SIGINT. A service supplies its configuration, topics, routes and workers.
public enum ServiceMain {
    public struct Definition<Configuration: Sendable>: Sendable {
        public var name: String
        public var defaultHTTPPort: Int
        /// The service's own variables, for `cablecar config` and error messages.
        public var variables: [ConfigurationVariable]
        /// The migrations this service applies and answers for (see `MigrationScope`).
        public var migrations: MigrationScope
        /// Which of the service's routes wait on the database, and so get `DatabaseOutageMiddleware`
        /// (a 503 instead of a wait while it is down). Routes that answer from memory are better
        /// left out: the middleware's task group per request cost forecast serving a fifth of its
        /// single-segment throughput at saturation.
        public var databaseRoutes: DatabaseRoutes
        public var configure: @Sendable (EnvironmentReader) throws -> Configuration
        public var topics: @Sendable (CommonConfiguration) -> [TopicSpecification]
        /// Adds routes and returns the long-running workers. Workers should `await
        /// context.startup.wait()` before touching tables or topics.
        public var build: @Sendable (RuntimeContext, Configuration, Router<BasicRequestContext>) throws -> [any Service]

        public init(
            name: String, defaultHTTPPort: Int, variables: [ConfigurationVariable], migrations: MigrationScope = .everything,
            databaseRoutes: DatabaseRoutes = .all, configure: @escaping @Sendable (EnvironmentReader) throws -> Configuration,
            topics: @escaping @Sendable (CommonConfiguration) -> [TopicSpecification],
            build: @escaping @Sendable (RuntimeContext, Configuration, Router<BasicRequestContext>) throws -> [any Service]
        ) {
            self.name = name
            self.defaultHTTPPort = defaultHTTPPort
            self.variables = variables
            self.migrations = migrations
            self.databaseRoutes = databaseRoutes
            self.configure = configure
            self.topics = topics
            self.build = build
        }
    }

    public static func run<Configuration: Sendable>(_ definition: Definition<Configuration>) async -> Never {
        if CommandLine.arguments.contains("--print-config") {
            let variables = CommonConfiguration.variables(defaultHTTPPort: definition.defaultHTTPPort) + definition.variables
            print(ConfigurationTable.markdown(service: definition.name, variables: variables), terminator: "")
            exit(0)
        }
        let environment = EnvironmentReader()
        let common: CommonConfiguration
        let own: Configuration
        do {
            common = try CommonConfiguration(environment: environment, defaultHTTPPort: definition.defaultHTTPPort)
            own = try definition.configure(environment)
        } catch {
            FileHandle.standardError.write(Data("\(definition.name): \(error)\n".utf8))
            exit(ConfigurationError.exitCode)
        }
        Observability.bootstrap(level: common.logLevel, format: common.logFormat)
        var logger = Logger(label: definition.name)
        logger.logLevel = common.logLevel
        logger.info(
            "Starting",
            metadata: [
                "database": "\(common.database.redactedURL)", "brokers": "\(common.kafkaBrokers)",
                "http": "\(common.httpHost):\(common.httpPort)", "librdkafka": "\(KafkaLibrary.versionString)",
            ])
        do {
            try await runGroup(definition, common: common, own: own, environment: environment, logger: logger)
            logger.info("Stopped")
            exit(0)
        } catch {
            logger.critical("Stopped on error", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    static func runGroup<Configuration: Sendable>(
        _ definition: Definition<Configuration>, common: CommonConfiguration, own: Configuration,
        environment: EnvironmentReader, logger: Logger
    ) async throws {
        let database = Database.client(common.database, logger: logger)
        let admin = try KafkaAdmin(configuration: common.kafkaClient, logger: logger)
        let context = RuntimeContext(
            serviceName: definition.name, configuration: common, environment: environment, logger: logger,
            database: database, admin: admin, startup: StartupGate(), readiness: ServiceReadiness())
        let startupReadiness = StartupReadiness()
        let router = Router(options: MethodNotAllowed.routerOptions)
        // Before any route: route responders capture the middleware present when they are added.
        router.add(middleware: UnhandledErrorMiddleware(logger: logger))
        if definition.databaseRoutes != .none {
            router.add(middleware: DatabaseOutageMiddleware(database: common.database, routes: definition.databaseRoutes, logger: logger))
        }
        let workers = try definition.build(context, own, router)
        // Workers that consume streams say whether they actually consume (partitions assigned,
        // not retrying after a failure): a service is ready only then.
        let consuming = workers.compactMap { $0 as? any ReadinessCheck }
        let streams = workers.compactMap { $0 as? any StreamLagReporting }
        OperationalRoutes.add(
            to: router, service: definition.name,
            checks: [
                startupReadiness, DatabaseReadiness(client: database, logger: logger), BrokerReadiness(admin: admin),
                context.readiness,
            ] + consuming,
            streams: streams, registry: Observability.registry)
        MethodNotAllowed.install(on: router)
        let application = Application(
            router: router,
            server: .cablecarHTTP1(
                idleTimeout: .seconds(common.httpIdleTimeoutSeconds), requestReadTimeout: .seconds(common.httpRequestReadTimeoutSeconds)),
            configuration: .init(address: .hostname(common.httpHost, port: common.httpPort), serverName: definition.name),
            logger: logger)
        let startup = StartupService(
            context: context, topics: definition.topics(common), migrations: definition.migrations, readiness: startupReadiness)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: database),
            .init(service: application),
            .init(service: startup, successTerminationBehavior: .ignore),
        ]
        services += workers.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
