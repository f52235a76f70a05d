import Foundation

/// A numerical feature's distribution kept in a fixed, small size: `points` values at the
/// probabilities (i + ½) / points, each standing for an equal share of the data, plus the count,
/// the missing count and the moments.
///
/// A model's reference profile holds one per neighborhood and feature (and per predicted target
/// and horizon), so it must stay small: 200 points keep the main job's city at 0.75 MB,
/// where sorted values or even quantile sketches of every training row would take tens. The price
/// is bounded: the KS statistic against the summary is within 1/points of the one against the
/// full data, and the Wasserstein distance within the spread of the widest 1/points share.
public struct QuantileSummary: Sendable, Codable, Equatable {
    public static let defaultPoints = 200

    /// Finite values summarized.
    public var count: Int
    /// Missing, NaN or infinite values (ignored by every measure).
    public var missing: Int
    public var mean: Double
    /// Population standard deviation (ddof = 0, as Evidently normalizes the Wasserstein distance).
    public var standardDeviation: Double
    /// Sorted; empty when `count` is 0.
    public var quantiles: [Double]

    public init(count: Int, missing: Int, mean: Double, standardDeviation: Double, quantiles: [Double]) {
        self.count = count
        self.missing = missing
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.quantiles = quantiles
    }

    /// Summarizes `values`; non-finite ones count as missing.
    public init(values: [Double], points: Int = QuantileSummary.defaultPoints) {
        var finite = values.filter(\.isFinite)
        missing = values.count - finite.count
        count = finite.count
        RadixSort.sort(&finite)
        let moments = finite.withUnsafeBufferPointer { Moments.of($0) }
        mean = count > 0 ? moments.mean : .nan
        standardDeviation = count > 0 ? moments.standardDeviation : .nan
        let n = finite.count
        let k = max(1, min(points, n))
        quantiles = n == 0 ? [] : (0..<k).map { i in finite[min(n - 1, Int((Double(i) + 0.5) * Double(n) / Double(k)))] }
    }

    /// Whether the summary is usable as a reference: values present, all finite and sorted, counts
    /// in range. A profile read from storage is checked before any arithmetic.
    public var isValid: Bool {
        guard count > 0, count <= 1 << 40, missing >= 0, missing <= 1 << 40, !quantiles.isEmpty, quantiles.count <= 10_000,
            mean.isFinite, standardDeviation.isFinite, standardDeviation >= 0
        else { return false }
        return zip(quantiles, quantiles.dropFirst()).allSatisfy { $0.0.isFinite && $0.1.isFinite && $0.0 <= $0.1 }
            && quantiles[0].isFinite
    }

    var sample: WeightedSample {
        WeightedSample(values: quantiles, weights: Array(repeating: 1, count: quantiles.count))
    }

    /// How `current` (raw values; non-finite ones ignored) differs from this reference, or nil
    /// when either side has no values.
    public func shift(to current: [Double]) -> DistributionShift? {
        var values = current.filter(\.isFinite)
        guard isValid, !values.isEmpty else { return nil }
        RadixSort.sort(&values)
        let currentSample = WeightedSample(values: values, weights: Array(repeating: 1, count: values.count))
        let reference = sample
        let distance = WeightedStatistics.wasserstein(reference, currentSample)
        let d = WeightedStatistics.ksStatistic(reference, currentSample)
        // Asymptotic p-value on the true sample sizes: the exact lattice computation is quadratic
        // in them and the summary's statistic is approximate anyway.
        let effective = Int((Double(count) * Double(values.count) / Double(count + values.count)).rounded())
        let p = effective >= 1 ? min(max(KolmogorovDistribution.survival(d, n: effective), 0), 1) : 1
        // PSI over the reference's deciles.
        var cuts: [Double] = []
        for decile in 1..<10 {
            let cut = quantiles[min(quantiles.count - 1, decile * quantiles.count / 10)]
            if cuts.last != cut { cuts.append(cut) }
        }
        let psi = Divergences.populationStability(
            referenceShares: Divergences.fillEmptyBuckets(WeightedStatistics.cutPointShares(reference, cutPoints: cuts)),
            currentShares: Divergences.fillEmptyBuckets(WeightedStatistics.cutPointShares(currentSample, cutPoints: cuts)))
        let currentMean = values.reduce(0, +) / Double(values.count)
        return DistributionShift(
            referenceCount: count, currentCount: values.count,
            normalizedWasserstein: Wasserstein.normalized(distance: distance, referenceStandardDeviation: standardDeviation),
            ksStatistic: d, ksPValue: p, psi: psi, referenceMean: mean, currentMean: currentMean)
    }
}

/// How a current sample differs from a reference summary.
public struct DistributionShift: Sendable, Codable, Equatable {
    public var referenceCount: Int
    public var currentCount: Int
    /// Wasserstein distance in units of the reference's standard deviation (Evidently's
    /// `wasserstein` test statistic; its default drift threshold is 0.1).
    public var normalizedWasserstein: Double
    public var ksStatistic: Double
    /// Two-sided KS p-value (asymptotic). On autocorrelated data it overstates the evidence,
    /// which is why alert rules require an effect size as well.
    public var ksPValue: Double
    /// Population stability index over the reference's deciles (0.1 moderate, 0.25 large shift).
    public var psi: Double
    public var referenceMean: Double
    public var currentMean: Double

    public init(
        referenceCount: Int, currentCount: Int, normalizedWasserstein: Double, ksStatistic: Double, ksPValue: Double, psi: Double,
        referenceMean: Double, currentMean: Double
    ) {
        self.referenceCount = referenceCount
        self.currentCount = currentCount
        self.normalizedWasserstein = normalizedWasserstein
        self.ksStatistic = ksStatistic
        self.ksPValue = ksPValue
        self.psi = psi
        self.referenceMean = referenceMean
        self.currentMean = currentMean
    }

    /// Evidently's default decision for a numerical column with more than 1,000 reference rows:
    /// normalized Wasserstein distance at or above 0.1.
    public static let evidentlyWassersteinThreshold = 0.1

    public var evidentlyDrifted: Bool { normalizedWasserstein >= Self.evidentlyWassersteinThreshold }

    enum CodingKeys: String, CodingKey {
        case referenceCount = "reference_n"
        case currentCount = "current_n"
        case normalizedWasserstein = "wasserstein_normed"
        case ksStatistic = "ks_statistic"
        case ksPValue = "ks_p"
        case psi
        case referenceMean = "reference_mean"
        case currentMean = "current_mean"
    }
}
