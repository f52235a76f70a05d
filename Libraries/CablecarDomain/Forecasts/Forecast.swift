/// `forecast.predictions`: what a model predicted for one segment at one horizon.
///
/// `event_time` is the issue time; `target_time` = issue time + horizon, the interval the
/// monitor later joins with the actual observation.
public struct Forecast: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.forecastPredictions

    public enum Role: String, Codable, Sendable, CaseIterable {
        /// The answer the caller got from the production model.
        case primary
        /// A simple model answered because the main one could not.
        case fallback
        /// A candidate's prediction, logged for comparison only.
        case shadow
        /// A candidate answering a share of real traffic.
        case canary
    }

    public var version: Int
    public var segmentID: String
    public var neighborhood: String
    public var eventTime: EpochMillis
    public var horizonMinutes: Int
    public var targetTime: EpochMillis
    public var predictedSpeedKmh: Double
    public var predictedFlowVehiclesPerHour: Double?
    public var modelName: String
    public var modelVersion: Int
    public var role: Role

    public init(
        version: Int = Self.currentVersion, segmentID: String, neighborhood: String, eventTime: EpochMillis,
        horizonMinutes: Int, predictedSpeedKmh: Double, predictedFlowVehiclesPerHour: Double?, modelName: String,
        modelVersion: Int, role: Role
    ) {
        self.version = version
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
    }

    /// The horizons the platform forecasts, in minutes.
    public static let horizons = [15, 30, 60]

    enum CodingKeys: String, CodingKey {
        case version = "v"
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
    }
}
