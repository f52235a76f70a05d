import CablecarDomain

/// One (target, horizon, neighborhood) cell that a model leaves to a baseline, because on the
/// gate's evidence the baseline beat it there beyond the neighborhood margin (a lane closure the
/// fitting period never saw, a neighborhood with too little data). The model then answers that
/// cell as the baseline would, and the serving side labels those forecasts with the baseline's
/// name: a neighborhood is never served a forecast known to be worse than a baseline's.
public struct BaselineRoute: Codable, Sendable, Hashable, CustomStringConvertible {
    public var target: ForecastTarget
    public var horizon: Int
    public var neighborhood: String
    /// `.persistence` or `.historicalAverage`.
    public var baseline: ModelRole

    public init(target: ForecastTarget, horizon: Int, neighborhood: String, baseline: ModelRole) {
        self.target = target
        self.horizon = horizon
        self.neighborhood = neighborhood
        self.baseline = baseline
    }

    public static let baselines: Set<ModelRole> = [.persistence, .historicalAverage]

    public var description: String { "\(neighborhood) \(target.rawValue) h\(horizon) → \(baseline.rawValue)" }
}
