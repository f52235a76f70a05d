import CablecarDomain
import CablecarFeatures
import CablecarService

/// What `cablecar-features` reads besides the common variables.
public struct FeatureStoreConfiguration: Sendable, Equatable {
    public static let cityPath = ConfigurationVariable(
        "CABLECAR_FEATURES_CITY", default: "Simulators/CablecarSimulation/Resources/city.json",
        expected: "a path to a city definition JSON file",
        summary: "City whose segments, neighborhoods and road graph features are computed for (relative to the working directory).")
    public static let consumerGroup = ConfigurationVariable(
        "CABLECAR_FEATURES_GROUP", default: "cablecar-features", expected: "a Kafka consumer group id",
        summary: "Consumer group of obs.traffic and obs.context.")
    public static let topicPrefix = ConfigurationVariable(
        "CABLECAR_FEATURES_TOPIC_PREFIX", default: "", expected: "text prepended to every topic name (may be empty)",
        summary: "Prefix of the topics the feature store reads and writes (obs.*, features.ready), for isolated platforms on one cluster.")
    public static let batchSize = ConfigurationVariable(
        "CABLECAR_FEATURES_BATCH_SIZE", default: "5000", expected: "an integer from 1 to 100000",
        summary: "Most observations written per database transaction.")
    public static let maxEntities = ConfigurationVariable(
        "CABLECAR_FEATURES_MAX_ENTITIES", default: "500", expected: "an integer from 1 to 100000",
        summary: "Most segments one online batch get may ask for; more gets 400.")
    public static let maxRetrievalRows = ConfigurationVariable(
        "CABLECAR_FEATURES_MAX_RETRIEVAL_ROWS", default: "20000000", expected: "an integer from 1 to 1000000000",
        summary: "Most rows (segments × instants) one historical retrieval or snapshot may cover; more gets 400.")
    public static let availability = ConfigurationVariable(
        "CABLECAR_FEATURES_AVAILABILITY", default: "stream_time", expected: "stream_time or ingest_time",
        summary:
            "How a revision's availability time is set: the stream's event-time clock on arrival (works for replays) or ingest_time literally (live streams only)."
    )

    public static let variables = [cityPath, consumerGroup, topicPrefix, batchSize, maxEntities, maxRetrievalRows, availability]

    public var cityPath: String
    public var consumerGroup: String
    public var topicPrefix: String
    public var batchSize: Int
    public var maxEntities: Int
    public var maxRetrievalRows: Int
    public var availability: AvailabilityClock.Policy

    public init(
        cityPath: String = "Simulators/CablecarSimulation/Resources/city.json", consumerGroup: String = "cablecar-features",
        topicPrefix: String = "", batchSize: Int = 5_000, maxEntities: Int = 500, maxRetrievalRows: Int = 20_000_000,
        availability: AvailabilityClock.Policy = .streamTime
    ) {
        self.cityPath = cityPath
        self.consumerGroup = consumerGroup
        self.topicPrefix = topicPrefix
        self.batchSize = batchSize
        self.maxEntities = maxEntities
        self.maxRetrievalRows = maxRetrievalRows
        self.availability = availability
    }

    public init(environment: EnvironmentReader) throws {
        cityPath = try environment.string(Self.cityPath)
        consumerGroup = try environment.string(Self.consumerGroup)
        topicPrefix = environment.values[Self.topicPrefix.name] ?? ""
        batchSize = try environment.int(Self.batchSize, in: 1...100_000)
        maxEntities = try environment.int(Self.maxEntities, in: 1...100_000)
        maxRetrievalRows = try environment.int(Self.maxRetrievalRows, in: 1...1_000_000_000)
        availability = try environment.choice(Self.availability, as: AvailabilityClock.Policy.self)
    }

    /// The actual name of `topic` on the cluster.
    public func name(of topic: Topic) -> String { topicPrefix + topic.rawValue }
}
