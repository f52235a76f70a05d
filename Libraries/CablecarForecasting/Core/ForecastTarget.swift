/// What a model forecasts.
public enum ForecastTarget: String, Codable, Sendable, CaseIterable, Comparable {
    case speed = "speed_kmh"
    case flow = "flow_veh_h"

    public static func < (lhs: ForecastTarget, rhs: ForecastTarget) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The horizons Cablecar forecasts, in minutes.
public enum ForecastHorizons {
    public static let standard = [15, 30, 60]
}
