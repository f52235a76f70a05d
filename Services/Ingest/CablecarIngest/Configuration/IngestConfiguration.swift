import CablecarDomain
import CablecarService
import Foundation

/// What `cablecar-ingest` reads besides the common variables. Defaults suit the simulator's
/// feeds (see docs/scenarios.md: out-of-order records arrive within ~3 minutes, late ones
/// 10–45 minutes after their window, forged future ones at least 3 hours ahead).
public struct IngestConfiguration: Sendable, Equatable {
    public static let cityPath = ConfigurationVariable(
        "CABLECAR_INGEST_CITY", default: "Simulators/CablecarSimulation/Resources/city.json",
        expected: "a path to a city definition JSON file",
        summary: "City whose sensors, routes, segments and neighborhoods ingest accepts (relative to the working directory).")
    public static let allowedLateness = ConfigurationVariable(
        "CABLECAR_INGEST_ALLOWED_LATENESS_S", default: "240", expected: "seconds, 0 to 86400",
        summary: "How long after an interval ends (by event time) ingest waits before emitting it; later readings become corrections.")
    public static let tooLateLimit = ConfigurationVariable(
        "CABLECAR_INGEST_TOO_LATE_S", default: "7200", expected: "seconds, 60 to 2592000",
        summary: "Readings older than the newest event time minus this are rejected as too_late.")
    public static let idlePartition = ConfigurationVariable(
        "CABLECAR_INGEST_IDLE_PARTITION_S", default: "60", expected: "seconds, 0 (never idle) to 86400",
        summary:
            "A raw partition that accepts nothing for this long (processing time), and has nothing left unread on the broker, stops holding back emission until it speaks again."
    )
    public static let sparsePartition = ConfigurationVariable(
        "CABLECAR_INGEST_SPARSE_PARTITION_S", default: "5", expected: "seconds, 0 to 86400, at most CABLECAR_INGEST_IDLE_PARTITION_S",
        summary:
            "A raw partition more than the allowed lateness behind the newest of its stream (a sparse feed: city events), silent this long since it fell behind and read to its end, stops holding back emission until it speaks again."
    )
    public static let futureTolerance = ConfigurationVariable(
        "CABLECAR_INGEST_FUTURE_TOLERANCE_S", default: "300", expected: "seconds, 0 to 86400",
        summary:
            "How far an event time may lie after the record's publish time (Kafka timestamp) before it is rejected as future_timestamp.")
    public static let batchSize = ConfigurationVariable(
        "CABLECAR_INGEST_BATCH_SIZE", default: "5000", expected: "an integer from 1 to 100000",
        summary: "Most raw messages handled in one database transaction.")
    public static let pushBodyLimit = ConfigurationVariable(
        "CABLECAR_INGEST_PUSH_BODY_LIMIT", default: "1048576", expected: "bytes, 1 to 104857600",
        summary: "Largest body POST /api/v1/ingest/{feed} accepts; larger bodies get 413.")
    public static let consumerGroup = ConfigurationVariable(
        "CABLECAR_INGEST_GROUP", default: "cablecar-ingest", expected: "a Kafka consumer group id",
        summary: "Consumer group of the raw topics; copies of ingest sharing it split the partitions.")

    public static let topicPrefix = ConfigurationVariable(
        "CABLECAR_INGEST_TOPIC_PREFIX", default: "", expected: "text prepended to every topic name (may be empty)",
        summary: "Prefix of the topics ingest reads and writes (raw.*, obs.*), for running several isolated platforms on one cluster.")

    public static let variables = [
        cityPath, allowedLateness, tooLateLimit, idlePartition, sparsePartition, futureTolerance, batchSize, pushBodyLimit, consumerGroup,
        topicPrefix,
    ]

    public var cityPath: String
    public var allowedLatenessMillis: Int64
    public var tooLateMillis: Int64
    /// Which revision a reading belongs to and when each counts as known (from the two above).
    public var knowledge: KnowledgeRule {
        KnowledgeRule(allowedLatenessMillis: allowedLatenessMillis, tooLateMillis: tooLateMillis)
    }
    /// nil: partitions never count as idle.
    public var idlePartitionMillis: Int64?
    /// Silence after falling behind its stream that makes a partition read to its end idle;
    /// unused when `idlePartitionMillis` is nil.
    public var sparsePartitionMillis: Int64
    public var futureToleranceMillis: Int64
    public var batchSize: Int
    public var pushBodyLimit: Int
    public var consumerGroup: String
    public var topicPrefix: String

    /// The actual name of `topic` on the cluster.
    public func name(of topic: Topic) -> String { topicPrefix + topic.rawValue }

    /// The feed a consumed topic name carries, if it is one of the raw topics.
    public func feed(ofTopic name: String) -> Feed? {
        // Called for every message: compares bytes instead of building the unprefixed name.
        guard name.hasPrefix(topicPrefix) else { return nil }
        let unprefixed = name.utf8.dropFirst(topicPrefix.utf8.count)
        return Feed.allCases.first { unprefixed.elementsEqual($0.topic.rawValue.utf8) }
    }

    public init(
        cityPath: String = "Simulators/CablecarSimulation/Resources/city.json", allowedLatenessMillis: Int64 = 240_000,
        tooLateMillis: Int64 = 7_200_000, idlePartitionMillis: Int64? = 60_000, sparsePartitionMillis: Int64 = 5_000,
        futureToleranceMillis: Int64 = 300_000,
        batchSize: Int = 5_000,
        pushBodyLimit: Int = 1_048_576, consumerGroup: String = "cablecar-ingest", topicPrefix: String = ""
    ) {
        self.cityPath = cityPath
        self.allowedLatenessMillis = allowedLatenessMillis
        self.tooLateMillis = tooLateMillis
        self.idlePartitionMillis = idlePartitionMillis
        self.sparsePartitionMillis = sparsePartitionMillis
        self.futureToleranceMillis = futureToleranceMillis
        self.batchSize = batchSize
        self.pushBodyLimit = pushBodyLimit
        self.consumerGroup = consumerGroup
        self.topicPrefix = topicPrefix
    }

    public init(environment: EnvironmentReader) throws {
        cityPath = try environment.string(Self.cityPath)
        allowedLatenessMillis = Int64(try environment.int(Self.allowedLateness, in: 0...86_400)) * 1000
        tooLateMillis = Int64(try environment.int(Self.tooLateLimit, in: 60...2_592_000)) * 1000
        let idleSeconds = try environment.int(Self.idlePartition, in: 0...86_400)
        idlePartitionMillis = idleSeconds == 0 ? nil : Int64(idleSeconds) * 1000
        let sparseSeconds = try environment.int(Self.sparsePartition, in: 0...86_400)
        sparsePartitionMillis = Int64(sparseSeconds) * 1000
        futureToleranceMillis = Int64(try environment.int(Self.futureTolerance, in: 0...86_400)) * 1000
        batchSize = try environment.int(Self.batchSize, in: 1...100_000)
        pushBodyLimit = try environment.int(Self.pushBodyLimit, in: 1...104_857_600)
        consumerGroup = try environment.string(Self.consumerGroup)
        topicPrefix = environment.values[Self.topicPrefix.name] ?? ""
        guard idleSeconds == 0 || sparseSeconds <= idleSeconds else {
            throw ConfigurationError(
                variable: Self.sparsePartition.name, problem: "is longer than the idle period",
                expected: "at most CABLECAR_INGEST_IDLE_PARTITION_S (\(idleSeconds))")
        }
        guard tooLateMillis > allowedLatenessMillis else {
            throw ConfigurationError(
                variable: Self.tooLateLimit.name, problem: "is not above the allowed lateness",
                expected: "a too-late limit longer than CABLECAR_INGEST_ALLOWED_LATENESS_S")
        }
    }
}
