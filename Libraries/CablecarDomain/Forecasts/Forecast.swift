/// `forecast.predictions`: what one model version predicted for one segment at one horizon,
/// written by `cablecar-forecast` for every prediction it makes (returned, shadow or fallback)
/// and read by `cablecar-monitor`, which joins it with the actual at `target_time`.
///
/// `event_time` is the issue time; `target_time` = issue time + horizon, the five-minute interval
/// the monitor later joins with the actual observation. `feature_step` is the start of the
/// five-minute step whose features the prediction used, so staleness is `event_time - feature_step`.
///
/// Version 2 added `request_id`, `feature_step`, `fallback_reason`, `latency_us` and the baseline values, made both
/// predicted values optional (a request may ask for one target) and renamed the role `primary` to
/// `production`. Version 1 messages are still read: `primary` decodes as `production`.
public struct Forecast: SchemaVersioned, Hashable {
    public static let currentVersion = 3
    public static let topic = Topic.forecastPredictions

    public enum Role: String, Codable, Sendable, CaseIterable {
        /// The answer the caller got from the production model.
        case production
        /// A simple model (the historical average the artifact carries) answered because the
        /// main one could not; `fallback_reason` says why.
        case fallback
        /// A candidate's prediction, logged for comparison only; never returned to a caller.
        case shadow
        /// A candidate answering a sticky share of segments.
        case canary

        public init(from decoder: any Decoder) throws {
            let raw = try decoder.singleValueContainer().decode(String.self)
            if raw == "primary" {
                self = .production
            } else if let role = Role(rawValue: raw) {
                self = role
            } else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown forecast role '\(raw)'"))
            }
        }
    }

    public var version: Int
    /// The serving request this prediction answered (shared by every segment and horizon of it).
    public var requestID: String
    public var segmentID: String
    public var neighborhood: String
    /// Issue time.
    public var eventTime: EpochMillis
    public var horizonMinutes: Int
    public var targetTime: EpochMillis
    public var predictedSpeedKmh: Double?
    public var predictedFlowVehiclesPerHour: Double?
    public var modelName: String
    /// The registry version that produced the values; for a fallback, the version whose artifact
    /// carried the historical average.
    public var modelVersion: Int
    public var role: Role
    /// Start of the five-minute step whose features were used; nil when none were available.
    public var featureStep: EpochMillis?
    /// Why the fallback answered (`features_missing`, `features_stale`, `model_failed`, ...).
    public var fallbackReason: String?
    /// Time spent serving the request this prediction belongs to, in microseconds.
    public var latencyMicros: Int?
    /// What the historical-average fallback would have answered for the same segment and target
    /// time, so the monitor scores the fallback on exactly the same pairs as the model.
    public var baselineSpeedKmh: Double?
    public var baselineFlowVehiclesPerHour: Double?
    /// Feature name → value given to the model (missing features left out); see the version notes.
    public var features: [String: Double]?

    public init(
        version: Int = Self.currentVersion, requestID: String = "", segmentID: String, neighborhood: String,
        eventTime: EpochMillis, horizonMinutes: Int, predictedSpeedKmh: Double?, predictedFlowVehiclesPerHour: Double?,
        modelName: String, modelVersion: Int, role: Role, featureStep: EpochMillis? = nil, fallbackReason: String? = nil,
        latencyMicros: Int? = nil, baselineSpeedKmh: Double? = nil, baselineFlowVehiclesPerHour: Double? = nil,
        features: [String: Double]? = nil
    ) {
        self.version = version
        self.requestID = requestID
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.eventTime = eventTime
        self.horizonMinutes = horizonMinutes
        self.targetTime = eventTime + EpochMillis(horizonMinutes) * 60_000
        self.predictedSpeedKmh = predictedSpeedKmh
        self.predictedFlowVehiclesPerHour = predictedFlowVehiclesPerHour
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.role = role
        self.featureStep = featureStep
        self.fallbackReason = fallbackReason
        self.latencyMicros = latencyMicros
        self.baselineSpeedKmh = baselineSpeedKmh
        self.baselineFlowVehiclesPerHour = baselineFlowVehiclesPerHour
        self.features = features
    }

    /// The horizons the platform forecasts, in minutes.
    public static let horizons = [15, 30, 60]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        requestID = try container.decodeIfPresent(String.self, forKey: .requestID) ?? ""
        segmentID = try container.decode(String.self, forKey: .segmentID)
        neighborhood = try container.decode(String.self, forKey: .neighborhood)
        eventTime = try container.decode(EpochMillis.self, forKey: .eventTime)
        horizonMinutes = try container.decode(Int.self, forKey: .horizonMinutes)
        targetTime = try container.decode(EpochMillis.self, forKey: .targetTime)
        predictedSpeedKmh = try container.decodeIfPresent(Double.self, forKey: .predictedSpeedKmh)
        predictedFlowVehiclesPerHour = try container.decodeIfPresent(Double.self, forKey: .predictedFlowVehiclesPerHour)
        modelName = try container.decode(String.self, forKey: .modelName)
        modelVersion = try container.decode(Int.self, forKey: .modelVersion)
        role = try container.decode(Role.self, forKey: .role)
        featureStep = try container.decodeIfPresent(EpochMillis.self, forKey: .featureStep)
        fallbackReason = try container.decodeIfPresent(String.self, forKey: .fallbackReason)
        latencyMicros = try container.decodeIfPresent(Int.self, forKey: .latencyMicros)
        baselineSpeedKmh = try container.decodeIfPresent(Double.self, forKey: .baselineSpeedKmh)
        baselineFlowVehiclesPerHour = try container.decodeIfPresent(Double.self, forKey: .baselineFlowVehiclesPerHour)
        features = try container.decodeIfPresent([String: Double].self, forKey: .features)
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case requestID = "request_id"
        case segmentID = "segment_id"
        case neighborhood
        case eventTime = "event_time"
        case horizonMinutes = "horizon_min"
        case targetTime = "target_time"
        case predictedSpeedKmh = "predicted_speed_kmh"
        case predictedFlowVehiclesPerHour = "predicted_flow_veh_h"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case role
        case featureStep = "feature_step"
        case fallbackReason = "fallback_reason"
        case latencyMicros = "latency_us"
        case baselineSpeedKmh = "baseline_speed_kmh"
        case baselineFlowVehiclesPerHour = "baseline_flow_veh_h"
        case features
    }
}
