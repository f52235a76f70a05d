import CablecarKafka
import CablecarPostgres
import Logging

/// What every Cablecar service reads. Defaults match `cablecar stack up`, so a local run
/// needs no configuration at all.
public struct CommonConfiguration: Sendable {
    public enum LogFormat: String, Sendable { case text, json }

    public static let databaseURL = ConfigurationVariable(
        "CABLECAR_DATABASE_URL", default: "postgres://postgres@127.0.0.1:55432/cablecar",
        expected: DatabaseConfiguration.expectedForm, summary: "Metadata database (Postgres).", isSecret: true)
    public static let kafkaBrokers = ConfigurationVariable(
        "CABLECAR_KAFKA_BROKERS", default: "127.0.0.1:19092", expected: "a comma-separated host:port list",
        summary: "Kafka bootstrap brokers.")
    public static let httpHost = ConfigurationVariable(
        "CABLECAR_HTTP_HOST", default: "127.0.0.1", expected: "an address to bind, e.g. 0.0.0.0",
        summary: "Address the service's HTTP server binds.")
    public static func httpPort(default port: Int) -> ConfigurationVariable {
        ConfigurationVariable(
            "CABLECAR_HTTP_PORT", default: String(port), expected: "an integer from 0 to 65535",
            summary: "Port of the service's HTTP server (health, metrics, API); each service has its own default.")
    }
    public static let logLevel = ConfigurationVariable(
        "CABLECAR_LOG_LEVEL", default: "info", expected: "trace, debug, info, notice, warning, error or critical",
        summary: "Minimum log level.")
    public static let logFormat = ConfigurationVariable(
        "CABLECAR_LOG_FORMAT", default: "text", expected: "text or json", summary: "Log line format (json for log shippers).")
    public static let topicPartitions = ConfigurationVariable(
        "CABLECAR_TOPIC_PARTITIONS", default: "3", expected: "an integer from 1 to 1024",
        summary: "Partitions of topics a service creates when they are missing.")

    public static let kafkaInstanceID = ConfigurationVariable(
        "CABLECAR_KAFKA_INSTANCE_ID", default: "", expected: "empty, or 1 to 100 letters, digits, '.', '_' or '-'",
        summary:
            "Static consumer-group membership: an id stable across restarts and unique per replica. A replica killed and restarted gets its partitions back without waiting out its old session (6 s instead of 11 s on the local broker); a replica that stops no longer leaves the group at once. Empty: dynamic membership."
    )

    public static let httpIdleTimeout = ConfigurationVariable(
        "CABLECAR_HTTP_IDLE_TIMEOUT_SECONDS", default: "30", expected: "an integer from 1 to 3600",
        summary: "Seconds a connection may send nothing (mid-request or between requests) before the server closes it.")

    public static let httpRequestReadTimeout = ConfigurationVariable(
        "CABLECAR_HTTP_REQUEST_READ_TIMEOUT_SECONDS", default: "60", expected: "an integer from 1 to 3600",
        summary: "Seconds from a request's first byte to its last before the server closes the connection, however steadily it trickles in."
    )

    public static func variables(defaultHTTPPort: Int) -> [ConfigurationVariable] {
        [
            databaseURL, kafkaBrokers, httpHost, httpPort(default: defaultHTTPPort), httpIdleTimeout, httpRequestReadTimeout, logLevel,
            logFormat, topicPartitions, kafkaInstanceID,
        ]
    }

    public var database: DatabaseConfiguration
    public var kafkaBrokers: String
    public var httpHost: String
    public var httpPort: Int
    public var httpIdleTimeoutSeconds: Int
    public var httpRequestReadTimeoutSeconds: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var topicPartitions: Int
    /// `group.instance.id` of the service's consumers; nil: dynamic membership.
    public var kafkaInstanceID: String?

    public init(environment: EnvironmentReader, defaultHTTPPort: Int) throws {
        database = try environment.parsed(Self.databaseURL) { try DatabaseConfiguration(url: $0) }
        kafkaBrokers = try environment.parsed(Self.kafkaBrokers) { text in
            let brokers = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !brokers.isEmpty,
                brokers.allSatisfy({ broker in
                    let parts = broker.split(separator: ":")
                    return parts.count == 2 && !parts[0].isEmpty && Int(parts[1]).map { (1...65535).contains($0) } == true
                })
            else { throw InvalidValue("\(text) is not a list of host:port") }
            return brokers.joined(separator: ",")
        }
        httpHost = try environment.string(Self.httpHost)
        httpPort = try environment.int(Self.httpPort(default: defaultHTTPPort), in: 0...65535)
        httpIdleTimeoutSeconds = try environment.int(Self.httpIdleTimeout, in: 1...3600)
        httpRequestReadTimeoutSeconds = try environment.int(Self.httpRequestReadTimeout, in: 1...3600)
        logLevel = try environment.choice(Self.logLevel, as: Logger.Level.self)
        logFormat = try environment.choice(Self.logFormat, as: LogFormat.self)
        topicPartitions = try environment.int(Self.topicPartitions, in: 1...1024)
        kafkaInstanceID = try environment.parsed(Self.kafkaInstanceID) { text -> String? in
            guard !text.isEmpty else { return nil }
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            guard text.count <= 100, text.allSatisfy(allowed.contains) else {
                throw InvalidValue("\(text) is not 1 to 100 letters, digits, '.', '_' or '-'")
            }
            return text
        }
    }

    public var kafkaClient: KafkaClientConfiguration { KafkaClientConfiguration(brokers: kafkaBrokers) }
}
