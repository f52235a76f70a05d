/// One test of one window: a neighborhood's metric, its effect size and threshold, and the
/// one-sided p-value that the effect exceeds "no degradation".
public struct AlertEvidence: Sendable, Equatable {
    /// Alerts are deduplicated per model, neighborhood and kind: one open alert per neighborhood
    /// for accuracy, one for data quality, however many metrics of that kind are bad.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case accuracy
        case quality
        case drift
    }

    public var kind: Kind
    public var modelName: String
    public var modelVersion: Int
    public var neighborhood: String
    /// e.g. `speed_kmh.h15.mae_vs_baseline`.
    public var metric: String
    public var effect: Double
    public var threshold: Double
    public var pValue: Double
    public var sampleSize: Int

    public init(
        kind: Kind, modelName: String, modelVersion: Int, neighborhood: String, metric: String, effect: Double, threshold: Double,
        pValue: Double, sampleSize: Int
    ) {
        self.kind = kind
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.neighborhood = neighborhood
        self.metric = metric
        self.effect = effect
        self.threshold = threshold
        self.pValue = pValue
        self.sampleSize = sampleSize
    }

    /// How far past its threshold the effect is (1 = at the threshold), to pick the worst metric.
    var severity: Double { threshold > 0 ? effect / threshold : effect }
}

/// A window the engine evaluates: `[start, end)` by target event time.
public struct AlertWindow: Sendable, Equatable, Hashable {
    public var kind: String
    public var start: Int64
    public var end: Int64

    public init(kind: String, start: Int64, end: Int64) {
        self.kind = kind
        self.start = start
        self.end = end
    }

    public static func hour(starting start: Int64) -> AlertWindow { AlertWindow(kind: "hour", start: start, end: start + 3_600_000) }
}
