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
}
