import CablecarDomain
import Foundation

/// The candidate against production on the same examples, as evidence that one is worse and not
/// just unlucky: the difference of absolute errors (candidate minus production), averaged per
/// hour of issue time, then over the hours. Errors an hour apart are correlated; hourly means
/// are nearly independent, so their spread gives an honest standard error.
public struct PairedComparison: Codable, Sendable, Equatable {
    public var target: ForecastTarget
    public var horizon: Int
    /// nil for the whole city.
    public var neighborhood: String?
    /// Hours with at least one pair.
    public var blocks: Int
    /// Mean over the hours of the mean difference |candidate error| − |production error|.
    public var meanDifference: Double
    /// Standard error of `meanDifference` (nil with fewer than two hours).
    public var standardError: Double?

    public init(
        target: ForecastTarget, horizon: Int, neighborhood: String?, blocks: Int, meanDifference: Double, standardError: Double?
    ) {
        self.target = target
        self.horizon = horizon
        self.neighborhood = neighborhood
        self.blocks = blocks
        self.meanDifference = meanDifference
        self.standardError = standardError
    }

    /// How many standard errors the candidate is worse by; nil without a standard error.
    public var zScore: Double? {
        guard let standardError else { return nil }
        if standardError > 0 { return meanDifference / standardError }
        return meanDifference > 0 ? .infinity : (meanDifference < 0 ? -.infinity : 0)
    }

    enum CodingKeys: String, CodingKey {
        case target, horizon, neighborhood, blocks
        case meanDifference = "mean_difference"
        case standardError = "standard_error"
    }

    /// The z a one-sided test at family-wise level `alpha` needs over `tests` comparisons
    /// (Bonferroni): Φ⁻¹(1 − alpha / tests).
    public static func criticalZ(alpha: Double, tests: Int) -> Double {
        let tail = min(max(alpha / Double(max(tests, 1)), 1e-15), 0.5)
        // Φ(z) = erfc(−z/√2)/2 is increasing: bisect for Φ(z) = 1 − tail.
        var low = 0.0
        var high = 10.0
        for _ in 0..<80 {
            let middle = (low + high) / 2
            if 0.5 * erfc(middle / 2.0.squareRoot()) > tail { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// Collects the hourly differences of one (target, horizon, scope).
struct PairedAccumulator {
    private var hours: [EpochMillis: (sum: Double, count: Int)] = [:]

    mutating func add(issueTime: EpochMillis, candidateError: Double, productionError: Double) {
        let hour = issueTime >= 0 ? issueTime / 3_600_000 : (issueTime - 3_599_999) / 3_600_000
        hours[hour, default: (0, 0)].sum += abs(candidateError) - abs(productionError)
        hours[hour, default: (0, 0)].count += 1
    }

    func comparison(target: ForecastTarget, horizon: Int, neighborhood: String?) -> PairedComparison? {
        guard !hours.isEmpty else { return nil }
        let means = hours.keys.sorted().compactMap { hour in hours[hour].map { $0.sum / Double($0.count) } }
        let mean = means.reduce(0, +) / Double(means.count)
        var standardError: Double?
        if means.count >= 2 {
            let variance = means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(means.count - 1)
            standardError = (variance / Double(means.count)).squareRoot()
        }
        return PairedComparison(
            target: target, horizon: horizon, neighborhood: neighborhood, blocks: means.count, meanDifference: mean,
            standardError: standardError)
    }
}
