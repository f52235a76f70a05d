import CablecarDomain

/// Accuracy of one model version and role, over one window, neighborhood, target and horizon;
/// the fallback's values on the same pairs beside it. A row of `monitor_window_metrics`.
public struct WindowMetrics: Sendable, Equatable, Codable {
    public var windowKind: String
    public var windowStart: EpochMillis
    public var neighborhood: String
    /// `speed_kmh` or `flow_veh_h` (the trainer's `ForecastTarget` names).
    public var target: String
    public var horizonMinutes: Int
    public var modelName: String
    public var modelVersion: Int
    public var role: String
    public var count: Int
    public var mae: Double?
    public var rmse: Double?
    public var mape: Double?
    public var bias: Double?
    /// Standard deviation of the absolute errors (for the test against the test-period MAE).
    public var absErrorSD: Double?
    public var baselineCount: Int
    public var baselineMAE: Double?
    public var baselineRMSE: Double?
    public var baselineMAPE: Double?
    public var baselineBias: Double?
    /// |model error| - |fallback error| over the pairs both answered.
    public var pairedCount: Int
    public var pairedDiffMean: Double?
    public var pairedDiffSD: Double?
    /// Predictions of the window answered by the fallback / made on stale features.
    public var fallbackCount: Int
    public var staleCount: Int
    /// The model version's MAE on its test period for this neighborhood, target and horizon.
    public var testMAE: Double?

    public init(
        windowKind: String, windowStart: EpochMillis, neighborhood: String, target: String, horizonMinutes: Int, modelName: String,
        modelVersion: Int, role: String, count: Int, mae: Double? = nil, rmse: Double? = nil, mape: Double? = nil,
        bias: Double? = nil, absErrorSD: Double? = nil, baselineCount: Int = 0, baselineMAE: Double? = nil,
        baselineRMSE: Double? = nil, baselineMAPE: Double? = nil, baselineBias: Double? = nil, pairedCount: Int = 0,
        pairedDiffMean: Double? = nil, pairedDiffSD: Double? = nil, fallbackCount: Int = 0, staleCount: Int = 0,
        testMAE: Double? = nil
    ) {
        self.windowKind = windowKind
        self.windowStart = windowStart
        self.neighborhood = neighborhood
        self.target = target
        self.horizonMinutes = horizonMinutes
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.role = role
        self.count = count
        self.mae = mae
        self.rmse = rmse
        self.mape = mape
        self.bias = bias
        self.absErrorSD = absErrorSD
        self.baselineCount = baselineCount
        self.baselineMAE = baselineMAE
        self.baselineRMSE = baselineRMSE
        self.baselineMAPE = baselineMAPE
        self.baselineBias = baselineBias
        self.pairedCount = pairedCount
        self.pairedDiffMean = pairedDiffMean
        self.pairedDiffSD = pairedDiffSD
        self.fallbackCount = fallbackCount
        self.staleCount = staleCount
        self.testMAE = testMAE
    }

    /// Model MAE / fallback MAE on the same window (nil without both).
    public var ratioToBaseline: Double? {
        guard let mae, let baselineMAE, baselineMAE > 0 else { return nil }
        return mae / baselineMAE
    }

    /// Model MAE / the model version's test-period MAE (nil without both).
    public var ratioToTest: Double? {
        guard let mae, let testMAE, testMAE > 0 else { return nil }
        return mae / testMAE
    }

    enum CodingKeys: String, CodingKey {
        case windowKind = "window"
        case windowStart = "window_start"
        case neighborhood, target
        case horizonMinutes = "horizon_min"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case role
        case count = "n"
        case mae, rmse, mape, bias
        case absErrorSD = "abs_error_sd"
        case baselineCount = "baseline_n"
        case baselineMAE = "baseline_mae"
        case baselineRMSE = "baseline_rmse"
        case baselineMAPE = "baseline_mape"
        case baselineBias = "baseline_bias"
        case pairedCount = "paired_n"
        case pairedDiffMean = "paired_diff_mean"
        case pairedDiffSD = "paired_diff_sd"
        case fallbackCount = "fallback_n"
        case staleCount = "stale_n"
        case testMAE = "test_mae"
    }
}
