import CablecarDomain
import CablecarRegistryAPI
import CablecarService
import Foundation

/// What `cablecar-forecast` reads besides the common variables.
public struct ForecastConfiguration: Sendable, Equatable {
    /// Whose clock decides the issue time of a forecast.
    public enum Clock: String, Sendable, Equatable {
        /// Now (the wall clock): the live platform.
        case wall
        /// The newest feature step the feature store served: replays, whose time runs faster.
        case features
    }

    public static let modelName = ConfigurationVariable(
        "CABLECAR_FORECAST_MODEL_NAME", default: "traffic-forecast", expected: "a registered model name",
        summary: "Registered model whose production version is served (the trainer's CABLECAR_TRAINER_MODEL_NAME).")
    public static let featuresURL = ConfigurationVariable(
        "CABLECAR_FORECAST_FEATURES_URL", default: "http://127.0.0.1:8082", expected: "an http:// or https:// base URL",
        summary: "The feature store whose online API supplies the newest feature vectors.")
    public static let featureCacheMillis = ConfigurationVariable(
        "CABLECAR_FORECAST_FEATURE_CACHE_MS", default: "5000", expected: "milliseconds, 0 to 300000",
        summary: "How long an online feature vector is reused from memory before the feature store is asked again.")
    public static let featuresTimeoutMillis = ConfigurationVariable(
        "CABLECAR_FORECAST_FEATURES_TIMEOUT_MS", default: "2000", expected: "milliseconds, 50 to 60000",
        summary:
            "How long a forecast waits for the feature store's online API; then the historical average answers (fallback features_unavailable)."
    )
    public static let featureMaxAgeSeconds = ConfigurationVariable(
        "CABLECAR_FORECAST_FEATURE_MAX_AGE_S", default: "900", expected: "seconds, 0 to 86400",
        summary:
            "A feature vector older than this (issue time minus its step) is stale: the historical average answers (fallback features_stale)."
    )
    public static let clock = ConfigurationVariable(
        "CABLECAR_FORECAST_CLOCK", default: "wall", expected: "wall or features",
        summary: "Issue time of a forecast: the wall clock floored to five minutes, or the newest feature step served (replays).")
    public static let cityPath = ConfigurationVariable(
        "CABLECAR_FORECAST_CITY", default: "Simulators/CablecarSimulation/Resources/city.json",
        expected: "a path to a city definition JSON file",
        summary: "City whose segments and neighborhoods requests may name (relative to the working directory).")
    public static let consumerGroup = ConfigurationVariable(
        "CABLECAR_FORECAST_GROUP", default: "cablecar-forecast", expected: "a Kafka consumer group id",
        summary: "Consumer group of model.events (every replica needs its own group to see every event).")
    public static let topicPrefix = ConfigurationVariable(
        "CABLECAR_FORECAST_TOPIC_PREFIX", default: "", expected: "text prepended to every topic name (may be empty)",
        summary: "Prefix of the topics the forecast service reads and writes (model.events, forecast.predictions), "
            + "for isolated platforms on one cluster; the same as the trainer's CABLECAR_TRAINER_TOPIC_PREFIX.")
    public static let maxSegments = ConfigurationVariable(
        "CABLECAR_FORECAST_MAX_SEGMENTS", default: "300", expected: "an integer from 1 to 10000",
        summary: "Most segments one forecast request may cover (a neighborhood counts its segments); more gets 400.")
    public static let bodyLimit = ConfigurationVariable(
        "CABLECAR_FORECAST_BODY_LIMIT", default: "262144", expected: "bytes, 256 to 16777216",
        summary: "Largest JSON body the forecast API accepts; larger bodies get 413.")
    public static let logBuffer = ConfigurationVariable(
        "CABLECAR_FORECAST_LOG_BUFFER", default: "100000", expected: "an integer from 1 to 10000000",
        summary:
            "Predictions held in memory for forecast.predictions while the broker is slow or down; beyond it the oldest are dropped and counted."
    )

    public static let variables = [
        modelName, featuresURL, featureCacheMillis, featuresTimeoutMillis, featureMaxAgeSeconds, clock, cityPath, consumerGroup,
        topicPrefix, maxSegments, bodyLimit, logBuffer,
    ]

    public static let defaultFeaturesURL = URL(string: "http://127.0.0.1:8082") ?? URL(fileURLWithPath: "/")

    public var modelName: String
    public var featuresURL: URL
    public var featureCacheMillis: Int
    public var featuresTimeoutMillis: Int
    public var featureMaxAgeMillis: EpochMillis
    public var clock: Clock
    public var cityPath: String
    public var consumerGroup: String
    public var topicPrefix: String
    public var maxSegments: Int
    public var bodyLimit: Int
    public var logBuffer: Int
    /// The registry's admin token (CABLECAR_REGISTRY_ADMIN_TOKEN); nil refuses every admin call.
    public var adminToken: String?

    public init(
        modelName: String = "traffic-forecast", featuresURL: URL = ForecastConfiguration.defaultFeaturesURL,
        featureCacheMillis: Int = 5000, featuresTimeoutMillis: Int = 2000, featureMaxAgeMillis: EpochMillis = 900_000, clock: Clock = .wall,
        cityPath: String = "Simulators/CablecarSimulation/Resources/city.json", consumerGroup: String = "cablecar-forecast",
        topicPrefix: String = "", maxSegments: Int = 300, bodyLimit: Int = 262_144, logBuffer: Int = 100_000,
        adminToken: String? = nil
    ) {
        self.modelName = modelName
        self.featuresURL = featuresURL
        self.featureCacheMillis = featureCacheMillis
        self.featuresTimeoutMillis = featuresTimeoutMillis
        self.featureMaxAgeMillis = featureMaxAgeMillis
        self.clock = clock
        self.cityPath = cityPath
        self.consumerGroup = consumerGroup
        self.topicPrefix = topicPrefix
        self.maxSegments = maxSegments
        self.bodyLimit = bodyLimit
        self.logBuffer = logBuffer
        self.adminToken = adminToken
    }

    public init(environment: EnvironmentReader) throws {
        modelName = try environment.string(Self.modelName)
        featuresURL = try environment.parsed(Self.featuresURL) { text in
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
            else { throw InvalidValue("not an http(s) URL") }
            return url
        }
        featureCacheMillis = try environment.int(Self.featureCacheMillis, in: 0...300_000)
        featuresTimeoutMillis = try environment.int(Self.featuresTimeoutMillis, in: 50...60_000)
        featureMaxAgeMillis = EpochMillis(try environment.int(Self.featureMaxAgeSeconds, in: 0...86_400)) * 1000
        clock = try environment.choice(Self.clock, as: Clock.self)
        cityPath = try environment.string(Self.cityPath)
        consumerGroup = try environment.string(Self.consumerGroup)
        topicPrefix = environment.optionalString(Self.topicPrefix) ?? ""
        maxSegments = try environment.int(Self.maxSegments, in: 1...10_000)
        bodyLimit = try environment.int(Self.bodyLimit, in: 256...16_777_216)
        logBuffer = try environment.int(Self.logBuffer, in: 1...10_000_000)
        adminToken = environment.values[RegistryClient.adminTokenVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func name(of topic: Topic) -> String { topicPrefix + topic.rawValue }
}
