import CablecarDomain
import CablecarDrift

/// One compared column (a feature, or the predictions of one target and horizon) of one
/// neighborhood and model version, served in `[windowEnd - windowHours, windowEnd)` by issue
/// time, against the version's reference profile.
public struct DriftFinding: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case feature
        case prediction
    }

    public var windowEnd: EpochMillis
    public var windowHours: Int
    public var neighborhood: String
    public var modelName: String
    public var modelVersion: Int
    public var kind: Kind
    /// The feature's name, or `prediction.<target>.h<minutes>`.
    public var name: String
    /// Whether the alert rule judges this column (context features are only reported).
    public var alerting: Bool
    public var shift: DistributionShift

    public init(
        windowEnd: EpochMillis, windowHours: Int, neighborhood: String, modelName: String, modelVersion: Int, kind: Kind, name: String,
        alerting: Bool = true, shift: DistributionShift
    ) {
        self.windowEnd = windowEnd
        self.windowHours = windowHours
        self.neighborhood = neighborhood
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.kind = kind
        self.name = name
        self.alerting = alerting
        self.shift = shift
    }

    enum CodingKeys: String, CodingKey {
        case windowEnd = "window_end"
        case windowHours = "window_hours"
        case neighborhood
        case modelName = "model_name"
        case modelVersion = "model_version"
        case kind
        case name
        case alerting
        case shift
    }
}
