/// The drift tests, named as Evidently names them so that per-feature overrides read the same.
public enum StatTest: String, Sendable, Codable, CaseIterable, Equatable {
    /// Two-sample Kolmogorov–Smirnov p-value (numerical).
    case ks
    /// Wasserstein-1 distance divided by the reference standard deviation (numerical).
    case wasserstein
    /// Jensen–Shannon distance over Evidently's bins or categories.
    case jensenshannon
    /// Population Stability Index.
    case psi
    /// Pearson chi-square p-value of current counts against reference shares.
    case chisquare
    /// Two-proportion Z-test p-value (binary features).
    case z

    /// Evidently's default thresholds: 0.05 for p-values, 0.1 for distances.
    public var defaultThreshold: Double {
        switch self {
        case .ks, .chisquare, .z: return 0.05
        case .wasserstein, .jensenshannon, .psi: return 0.1
        }
    }

    /// p-value tests flag drift when the p-value is small; distances when the value is large.
    public var isPValueTest: Bool {
        switch self {
        case .ks, .chisquare, .z: return true
        case .wasserstein, .jensenshannon, .psi: return false
        }
    }

    public var displayName: String {
        switch self {
        case .ks: return "K-S p-value"
        case .wasserstein: return "Wasserstein (normed)"
        case .jensenshannon: return "Jensen-Shannon"
        case .psi: return "PSI"
        case .chisquare: return "chi-square p-value"
        case .z: return "Z-test p-value"
        }
    }

    /// Evidently's comparisons, kept verbatim: KS drifts at p <= threshold, chi-square and Z at
    /// p < threshold, distances at value >= threshold.
    public func isDrift(score: Double, threshold: Double) -> Bool {
        switch self {
        case .ks: return score <= threshold
        case .chisquare, .z: return score < threshold
        case .wasserstein, .jensenshannon, .psi: return score >= threshold
        }
    }

    /// Tests that can run on a feature of the given kind. Few-valued numerical features may use
    /// the categorical tests, which then treat each distinct number as a category.
    public func applies(to kind: FeatureKind) -> Bool {
        switch self {
        case .ks, .wasserstein: return kind == .numerical
        case .jensenshannon, .psi, .chisquare, .z: return true
        }
    }
}

/// A feature to compare, with optional per-feature overrides of the test and its threshold.
public struct FeatureSpec: Sendable, Codable, Equatable {
    public var name: String
    public var kind: FeatureKind
    public var test: StatTest?
    public var threshold: Double?

    public init(name: String, kind: FeatureKind, test: StatTest? = nil, threshold: Double? = nil) {
        self.name = name
        self.kind = kind
        self.test = test
        self.threshold = threshold
    }
}

/// Evidently's default choice of test (`_get_default_stattest`): with a reference of at most
/// 1,000 rows, KS for numerical features with more than 5 distinct values (reference and current
/// together), chi-square for few-valued or categorical ones, and the Z-test when there are at
/// most 2 values; with a larger reference, normed Wasserstein for numerical features with more
/// than 5 values and Jensen–Shannon otherwise.
public enum DefaultTestRule {
    public static let smallReferenceRows = 1000
    public static let fewValues = 5

    /// `combinedDistinct` may be capped (any value above 5 decides the same way).
    public static func choose(kind: FeatureKind, referenceCount: Int, combinedDistinct: Int) -> StatTest {
        if referenceCount <= smallReferenceRows {
            if kind == .numerical && combinedDistinct > fewValues { return .ks }
            return combinedDistinct > 2 ? .chisquare : .z
        }
        if kind == .numerical && combinedDistinct > fewValues { return .wasserstein }
        return .jensenshannon
    }
}

/// Settings of a comparison beyond the per-feature specs.
public struct DriftConfiguration: Sendable, Codable, Equatable {
    /// A group drifts when at least this share of its tested features drifted (Evidently: 0.5).
    public var driftShare: Double = 0.5
    /// Fewer non-missing values than this on either side and a feature is reported as having too
    /// little data instead of getting a statistic that would mean nothing.
    public var minimumRows: Int = 5
    public var psiBinning: PSIBinning = .default
    /// Bins of the distribution charts kept for drifted features.
    public var chartBins: Int = 20

    public init(driftShare: Double = 0.5, minimumRows: Int = 5, psiBinning: PSIBinning = .default, chartBins: Int = 20) {
        self.driftShare = driftShare
        self.minimumRows = minimumRows
        self.psiBinning = psiBinning
        self.chartBins = chartBins
    }
}
