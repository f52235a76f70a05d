/// The thresholds of the alert rule. Defaults and the reasons for them are in docs/monitor.md.
///
/// A window is bad for a metric when the effect is large enough (`effect >= threshold`) AND the
/// excess is significant after Holm's correction over every test of that window (all
/// neighborhoods x metrics), on at least `minimumSamples` pairs. Effect size guards against
/// autocorrelated data making tiny differences "significant"; significance guards against noise
/// in small windows; the correction guards against the many tests of each window.
public struct AlertRule: Sendable, Equatable {
    /// Windows with fewer pairs say nothing (streaks stay as they are).
    public var minimumSamples: Int
    /// Family-wise error rate per window, Holm-corrected.
    public var alpha: Double
    /// Consecutive bad windows that open an alert.
    public var openAfter: Int
    /// Consecutive good windows that resolve it.
    public var resolveAfter: Int
    /// Model MAE / fallback MAE on the same pairs at or above which the model is bad.
    public var baselineRatio: Double
    /// Model MAE / its test-period MAE at or above which the model is bad.
    public var testRatio: Double
    /// Share of answers given by the fallback at or above which serving is unhealthy.
    public var fallbackShare: Double
    /// Normalized Wasserstein distance of a served feature or prediction from the model's
    /// reference at or above which a drift window is bad.
    public var driftThreshold: Double

    public init(
        minimumSamples: Int = 30, alpha: Double = 0.01, openAfter: Int = 3, resolveAfter: Int = 3, baselineRatio: Double = 1.10,
        testRatio: Double = 1.5, fallbackShare: Double = 0.2, driftThreshold: Double = 1.0
    ) {
        self.minimumSamples = minimumSamples
        self.alpha = alpha
        self.openAfter = openAfter
        self.resolveAfter = resolveAfter
        self.baselineRatio = baselineRatio
        self.testRatio = testRatio
        self.fallbackShare = fallbackShare
        self.driftThreshold = driftThreshold
    }
}
