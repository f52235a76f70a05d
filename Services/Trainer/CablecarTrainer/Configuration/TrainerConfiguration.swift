import CablecarDomain
import CablecarForecasting
import CablecarService
import Foundation

/// What `cablecar-trainer` reads besides the common variables.
public struct TrainerConfiguration: Sendable, Equatable {
    public static let autoPromote = ConfigurationVariable(
        "CABLECAR_TRAINER_AUTO_PROMOTE", default: "true", expected: "true or false",
        summary:
            "Move a candidate that passes the gates to staging and then production (actor cablecar-trainer, the verdict as reason); false leaves promotion to a person."
    )
    public static let featuresURL = ConfigurationVariable(
        "CABLECAR_TRAINER_FEATURES_URL", default: "http://127.0.0.1:8082", expected: "an http:// or https:// base URL",
        summary: "The feature store whose point-in-time snapshots the trainer trains on.")
    public static let featuresPatienceSeconds = ConfigurationVariable(
        "CABLECAR_TRAINER_FEATURES_PATIENCE_S", default: "120", expected: "seconds, 0 to 3600",
        summary:
            "How long a training request waits out a feature store that is away (connection refused or lost, 5xx) before it fails; 0 fails at once."
    )
    public static let modelName = ConfigurationVariable(
        "CABLECAR_TRAINER_MODEL_NAME", default: "traffic-forecast", expected: "a registered model name",
        summary: "Registered model the trainer's candidates become versions of.")
    public static let experiment = ConfigurationVariable(
        "CABLECAR_TRAINER_EXPERIMENT", default: "traffic-forecast", expected: "an experiment name",
        summary: "Experiment the trainer's runs are recorded under.")
    public static let consumerGroup = ConfigurationVariable(
        "CABLECAR_TRAINER_GROUP", default: "cablecar-trainer", expected: "a Kafka consumer group id",
        summary: "Consumer group of train.requests and monitor.alerts.")
    public static let topicPrefix = ConfigurationVariable(
        "CABLECAR_TRAINER_TOPIC_PREFIX", default: "", expected: "text prepended to every topic name (may be empty)",
        summary: "Prefix of the topics the trainer reads and writes, for running several isolated platforms on one cluster.")
    public static let pollMillis = ConfigurationVariable(
        "CABLECAR_TRAINER_POLL_MS", default: "500", expected: "milliseconds, 10 to 60000",
        summary: "How often an idle worker looks for queued training requests.")
    public static let leaseSeconds = ConfigurationVariable(
        "CABLECAR_TRAINER_LEASE_S", default: "60", expected: "seconds, 5 to 86400",
        summary:
            "How long a claimed request stays with its worker without a heartbeat; the worker renews it every third of this while it trains, so a killed worker's request is retried this long after its last renewal."
    )
    public static let maxAttempts = ConfigurationVariable(
        "CABLECAR_TRAINER_MAX_ATTEMPTS", default: "3", expected: "an integer from 1 to 20",
        summary: "Claims of one request (crash retries included) before it is recorded as failed.")
    public static let productionMargin = ConfigurationVariable(
        "CABLECAR_TRAINER_PRODUCTION_MARGIN", default: "0.02", expected: "a fraction, 0 to 1",
        summary: "Gate: the candidate's overall MAE may exceed production's by at most this fraction, per target and horizon.")
    public static let neighborhoodMargin = ConfigurationVariable(
        "CABLECAR_TRAINER_NEIGHBORHOOD_MARGIN", default: "0.05", expected: "a fraction, 0 to 1",
        summary: "Equity gate: in every neighborhood the candidate's MAE may exceed production's by at most this fraction.")
    public static let baselineImprovement = ConfigurationVariable(
        "CABLECAR_TRAINER_BASELINE_IMPROVEMENT", default: "0", expected: "a fraction, 0 to 1",
        summary: "Gate: the candidate's overall MAE must be below both baselines' by at least this fraction.")
    public static let maxBaselineShare = ConfigurationVariable(
        "CABLECAR_TRAINER_MAX_BASELINE_SHARE", default: "0.25", expected: "a fraction, 0 to 1",
        summary:
            "Per target and horizon, at most this share of the neighborhoods may be answered by a baseline where the candidate loses to it; more refuses the candidate, 0 refuses any loss."
    )
    public static let productionEquityAlpha = ConfigurationVariable(
        "CABLECAR_TRAINER_PRODUCTION_EQUITY_ALPHA", default: "0.05", expected: "a probability, above 0 and at most 1",
        summary:
            "Equity gate against production: a neighborhood fails only when the candidate's hourly paired errors make its loss significant at this family-wise level (Bonferroni over neighborhoods, targets and horizons); 1 judges on the margin alone."
    )
    public static let penalties = ConfigurationVariable(
        "CABLECAR_TRAINER_PENALTIES", default: "0.01,0.1,1,10,100,1000,10000", expected: "comma-separated positive numbers",
        summary: "Ridge penalties tried; each model keeps the one with the lowest validation MAE.")
    public static let deviationTrees = ConfigurationVariable(
        "CABLECAR_TRAINER_TREES", default: "150", expected: "trees, 0 to 2000",
        summary:
            "Boosted trees per target and horizon fitted beside the ridge when the training period holds a week; mixed with the ridge (their share 25 to 100 %) where the mixture beats the ridge on validation by 2 % times that share (0: the ridge alone)."
    )
    public static let alertWindowDays = ConfigurationVariable(
        "CABLECAR_TRAINER_ALERT_WINDOW_DAYS", default: "28", expected: "days, 2 to 366",
        summary: "An alert becomes a request to train on this many days before the alert's event time.")
    public static let timeZone = ConfigurationVariable(
        "CABLECAR_TRAINER_TIME_ZONE", default: "America/Los_Angeles", expected: "an IANA time zone identifier",
        summary:
            "The city's time zone: the historical average's time-of-week slots and the model's time-of-day terms follow its wall clock across daylight saving changes (the bundled city's zone by default)."
    )
    public static let bodyLimit = ConfigurationVariable(
        "CABLECAR_TRAINER_BODY_LIMIT", default: "65536", expected: "bytes, 256 to 1048576",
        summary: "Largest body POST /api/v1/train accepts; larger bodies get 413.")
    public static let maxQueued = ConfigurationVariable(
        "CABLECAR_TRAINER_MAX_QUEUED", default: "100", expected: "requests, 1 to 100000",
        summary:
            "POST /api/v1/train answers 429 while this many training requests wait in the queue (alerts' retrainings merge and are not limited)."
    )

    public static let variables = [
        autoPromote, featuresURL, featuresPatienceSeconds, modelName, experiment, consumerGroup, topicPrefix, pollMillis,
        leaseSeconds, maxAttempts, productionMargin, neighborhoodMargin, baselineImprovement, maxBaselineShare,
        productionEquityAlpha, penalties, deviationTrees, alertWindowDays, timeZone, bodyLimit, maxQueued,
    ]

    /// The local stack's feature store (the variable's default).
    public static let defaultFeaturesURL = URL(string: "http://127.0.0.1:8082") ?? URL(fileURLWithPath: "/")

    public var autoPromote: Bool
    public var featuresURL: URL
    public var featuresPatienceSeconds: Int
    public var modelName: String
    public var experiment: String
    public var consumerGroup: String
    public var topicPrefix: String
    public var pollMillis: Int
    public var leaseSeconds: Int
    public var maxAttempts: Int
    public var gates: GateConfiguration
    public var penalties: [Double]
    public var deviationTrees: Int
    public var alertWindowDays: Int
    public var timeZone: String
    public var bodyLimit: Int
    public var maxQueued: Int

    public init(
        autoPromote: Bool = true, featuresURL: URL = TrainerConfiguration.defaultFeaturesURL, featuresPatienceSeconds: Int = 120,
        modelName: String = "traffic-forecast", experiment: String = "traffic-forecast",
        consumerGroup: String = "cablecar-trainer", topicPrefix: String = "", pollMillis: Int = 500, leaseSeconds: Int = 60,
        maxAttempts: Int = 3, gates: GateConfiguration = GateConfiguration(),
        penalties: [Double] = ModelParameters().penaltyGrid, deviationTrees: Int = ModelParameters.defaultDeviationTrees,
        alertWindowDays: Int = 28,
        timeZone: String = "America/Los_Angeles", bodyLimit: Int = 65536, maxQueued: Int = 100
    ) {
        self.timeZone = timeZone
        self.autoPromote = autoPromote
        self.featuresURL = featuresURL
        self.featuresPatienceSeconds = featuresPatienceSeconds
        self.modelName = modelName
        self.experiment = experiment
        self.consumerGroup = consumerGroup
        self.topicPrefix = topicPrefix
        self.pollMillis = pollMillis
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.gates = gates
        self.penalties = penalties
        self.deviationTrees = deviationTrees
        self.alertWindowDays = alertWindowDays
        self.bodyLimit = bodyLimit
        self.maxQueued = maxQueued
    }

    public init(environment: EnvironmentReader) throws {
        autoPromote = try environment.bool(Self.autoPromote)
        featuresURL = try environment.parsed(Self.featuresURL) { text in
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
            else { throw InvalidValue("not an http(s) URL") }
            return url
        }
        featuresPatienceSeconds = try environment.int(Self.featuresPatienceSeconds, in: 0...3600)
        modelName = try environment.string(Self.modelName)
        experiment = try environment.string(Self.experiment)
        consumerGroup = try environment.string(Self.consumerGroup)
        topicPrefix = environment.optionalString(Self.topicPrefix) ?? ""
        pollMillis = try environment.int(Self.pollMillis, in: 10...60_000)
        leaseSeconds = try environment.int(Self.leaseSeconds, in: 5...86_400)
        maxAttempts = try environment.int(Self.maxAttempts, in: 1...20)
        gates = GateConfiguration(
            baselineImprovement: try environment.double(Self.baselineImprovement, in: 0...1),
            productionMargin: try environment.double(Self.productionMargin, in: 0...1),
            neighborhoodMargin: try environment.double(Self.neighborhoodMargin, in: 0...1),
            maximumBaselineShare: try environment.double(Self.maxBaselineShare, in: 0...1),
            productionEquityAlpha: try environment.double(Self.productionEquityAlpha, in: 1e-9...1))
        penalties = try environment.parsed(Self.penalties) { text in
            let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = values.compactMap(Double.init)
            guard !values.isEmpty, numbers.count == values.count, numbers.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw InvalidValue("not a list of positive numbers")
            }
            return numbers
        }
        deviationTrees = try environment.int(Self.deviationTrees, in: 0...2_000)
        alertWindowDays = try environment.int(Self.alertWindowDays, in: 2...366)
        timeZone = try environment.parsed(Self.timeZone) { text in
            guard (try? LocalClock(identifier: text)) != nil else { throw InvalidValue("not a time zone this system knows") }
            return text
        }
        bodyLimit = try environment.int(Self.bodyLimit, in: 256...1_048_576)
        maxQueued = try environment.int(Self.maxQueued, in: 1...100_000)
    }

    public func name(of topic: Topic) -> String { topicPrefix + topic.rawValue }
}
