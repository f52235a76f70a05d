import CablecarDomain

/// Everything a model may use to forecast one segment from one issue time: the feature vector
/// as known at that time (aligned with the model's `featureNames`), and the last observed values.
public struct ModelInput: Sendable {
    public var segmentID: String
    public var neighborhood: String
    public var issueTime: EpochMillis
    /// `features[i]` is the model's `featureNames[i]`; `nil` when missing.
    public var features: [Double?]
    public var lastSpeedKmh: Double?
    public var lastFlowVehiclesPerHour: Double?

    public init(
        segmentID: String, neighborhood: String, issueTime: EpochMillis, features: [Double?],
        lastSpeedKmh: Double?, lastFlowVehiclesPerHour: Double?
    ) {
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.issueTime = issueTime
        self.features = features
        self.lastSpeedKmh = lastSpeedKmh
        self.lastFlowVehiclesPerHour = lastFlowVehiclesPerHour
    }

    public func lastObserved(_ target: ForecastTarget) -> Double? {
        switch target {
        case .speed: return lastSpeedKmh
        case .flow: return lastFlowVehiclesPerHour
        }
    }
}
