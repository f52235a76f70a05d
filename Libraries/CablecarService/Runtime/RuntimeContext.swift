import CablecarKafka
import Logging
import PostgresNIO

/// What a service's own code gets from the scaffolding.
public struct RuntimeContext: Sendable {
    public let serviceName: String
    public let configuration: CommonConfiguration
    public let environment: EnvironmentReader
    public let logger: Logger
    public let database: PostgresClient
    public let admin: KafkaAdmin
    /// Opens after migrations and topic creation succeeded.
    public let startup: StartupGate
    /// Checks of the service's own (e.g. "a model is loaded") that `/health/ready` adds to the
    /// database, broker and start-up checks.
    public let readiness: ServiceReadiness

    /// The database's outage watch, for a service's stream workers and long attempts.
    public var databaseWatch: OutageWatch { .database(configuration.database, logger: logger) }
}
