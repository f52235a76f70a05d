import CablecarDomain
import CablecarService

/// What `cablecar-monitor` reads besides the common variables (README configuration table,
/// docs/monitor.md for the reasons behind the alert defaults).
public struct MonitorConfiguration: Sendable, Equatable {
    public static let consumerGroup = ConfigurationVariable(
        "CABLECAR_MONITOR_GROUP", default: "cablecar-monitor", expected: "a Kafka consumer group id",
        summary: "Consumer group of forecast.predictions and obs.traffic.")
    public static let topicPrefix = ConfigurationVariable(
        "CABLECAR_MONITOR_TOPIC_PREFIX", default: "", expected: "text prepended to every topic name (may be empty)",
        summary: "Prefix of the topics the monitor reads and writes (forecast.predictions, obs.traffic, monitor.alerts).")
    public static let batchSize = ConfigurationVariable(
        "CABLECAR_MONITOR_BATCH_SIZE", default: "5000", expected: "an integer from 1 to 100000",
        summary: "Most messages handled per database transaction.")
    public static let retentionDays = ConfigurationVariable(
        "CABLECAR_MONITOR_RETENTION_DAYS", default: "35", expected: "an integer from 2 to 3650",
        summary:
            "Joined pairs, actuals, served features and drift findings older than this (event time, behind the newest actual) are deleted; window metrics and alerts are kept."
    )
    public static let staleMinutes = ConfigurationVariable(
        "CABLECAR_MONITOR_STALE_MINUTES", default: "15", expected: "an integer from 5 to 1440",
        summary: "A prediction whose features are older than this at issue time counts as stale.")
    public static let graceMinutes = ConfigurationVariable(
        "CABLECAR_MONITOR_GRACE_MINUTES", default: "15", expected: "an integer from 0 to 1440",
        summary: "An hour is judged by the alert rule once actuals this far past its end have arrived (late data first).")
    public static let minimumSamples = ConfigurationVariable(
        "CABLECAR_MONITOR_MIN_SAMPLES", default: "30", expected: "an integer from 2 to 1000000",
        summary: "Pairs a neighborhood's window needs before the alert rule judges it.")
    public static let alpha = ConfigurationVariable(
        "CABLECAR_MONITOR_ALPHA", default: "0.01", expected: "a number from 0.000001 to 0.5",
        summary: "Family-wise error rate of each window's tests (Holm-corrected over neighborhoods x metrics).")
    public static let openAfter = ConfigurationVariable(
        "CABLECAR_MONITOR_OPEN_AFTER", default: "3", expected: "an integer from 1 to 1000",
        summary: "Consecutive bad hourly windows that open an alert.")
    public static let resolveAfter = ConfigurationVariable(
        "CABLECAR_MONITOR_RESOLVE_AFTER", default: "3", expected: "an integer from 1 to 1000",
        summary: "Consecutive good hourly windows that resolve an open alert.")
    public static let baselineRatio = ConfigurationVariable(
        "CABLECAR_MONITOR_BASELINE_RATIO", default: "1.1", expected: "a number from 0.5 to 100",
        summary: "Model MAE / fallback MAE on the same pairs at or above which a window is bad.")
    public static let testRatio = ConfigurationVariable(
        "CABLECAR_MONITOR_TEST_RATIO", default: "1.5", expected: "a number from 1 to 100",
        summary: "Model MAE / the version's test-period MAE at or above which a window is bad.")
    public static let fallbackShare = ConfigurationVariable(
        "CABLECAR_MONITOR_FALLBACK_SHARE", default: "0.2", expected: "a number from 0.01 to 1",
        summary: "Share of a neighborhood's answers given by the fallback at or above which a window is bad (data quality).")
    public static let driftThreshold = ConfigurationVariable(
        "CABLECAR_MONITOR_DRIFT_THRESHOLD", default: "1.0", expected: "a number from 0.01 to 100",
        summary:
            "Normalized Wasserstein distance of a served feature or prediction from the model's training-time reference at or above which a drift window is bad."
    )
    public static let driftWindowHours = ConfigurationVariable(
        "CABLECAR_MONITOR_DRIFT_WINDOW_HOURS", default: "24", expected: "an integer from 1 to 168",
        summary: "Served hours compared with the reference each hour (a trailing window; whole days compare like with like).")

    public static let variables = [
        consumerGroup, topicPrefix, batchSize, retentionDays, staleMinutes, graceMinutes, minimumSamples, alpha, openAfter, resolveAfter,
        baselineRatio, testRatio, fallbackShare, driftThreshold, driftWindowHours,
    ]

    public var consumerGroup: String
    public var topicPrefix: String
    public var batchSize: Int
    public var retentionDays: Int
    public var staleMinutes: Int
    public var graceMinutes: Int
    public var driftWindowHours: Int
    public var rule: AlertRule

    public init(
        consumerGroup: String = "cablecar-monitor", topicPrefix: String = "", batchSize: Int = 5_000, retentionDays: Int = 35,
        staleMinutes: Int = 15, graceMinutes: Int = 15, driftWindowHours: Int = 24, rule: AlertRule = AlertRule()
    ) {
        self.consumerGroup = consumerGroup
        self.topicPrefix = topicPrefix
        self.batchSize = batchSize
        self.retentionDays = retentionDays
        self.staleMinutes = staleMinutes
        self.graceMinutes = graceMinutes
        self.driftWindowHours = driftWindowHours
        self.rule = rule
    }

    public init(environment: EnvironmentReader) throws {
        consumerGroup = try environment.string(Self.consumerGroup)
        topicPrefix = environment.values[Self.topicPrefix.name] ?? ""
        batchSize = try environment.int(Self.batchSize, in: 1...100_000)
        retentionDays = try environment.int(Self.retentionDays, in: 2...3650)
        staleMinutes = try environment.int(Self.staleMinutes, in: 5...1440)
        graceMinutes = try environment.int(Self.graceMinutes, in: 0...1440)
        driftWindowHours = try environment.int(Self.driftWindowHours, in: 1...168)
        rule = AlertRule(
            minimumSamples: try environment.int(Self.minimumSamples, in: 2...1_000_000),
            alpha: try environment.double(Self.alpha, in: 0.000_001...0.5),
            openAfter: try environment.int(Self.openAfter, in: 1...1000),
            resolveAfter: try environment.int(Self.resolveAfter, in: 1...1000),
            baselineRatio: try environment.double(Self.baselineRatio, in: 0.5...100),
            testRatio: try environment.double(Self.testRatio, in: 1...100),
            fallbackShare: try environment.double(Self.fallbackShare, in: 0.01...1),
            driftThreshold: try environment.double(Self.driftThreshold, in: 0.01...100))
    }

    /// The actual name of `topic` on the cluster.
    public func name(of topic: Topic) -> String { topicPrefix + topic.rawValue }
}
