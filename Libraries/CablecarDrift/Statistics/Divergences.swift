import Foundation

/// Distances and tests on binned or categorical distributions, given as counts aligned by bin.
public enum Divergences {
    /// Jensen–Shannon distance as `scipy.spatial.distance.jensenshannon(p, q)` with the natural
    /// logarithm (scipy's default base): both vectors are normalized to sum to one first.
    public static func jensenShannon(_ p: [Double], _ q: [Double], base: Double? = nil) -> Double {
        precondition(p.count == q.count, "jensenShannon needs vectors of equal length")
        let sp = p.reduce(0, +)
        let sq = q.reduce(0, +)
        var left = 0.0
        var right = 0.0
        for i in p.indices {
            let pi = p[i] / sp
            let qi = q[i] / sq
            let m = (pi + qi) / 2.0
            left += relativeEntropy(pi, m)
            right += relativeEntropy(qi, m)
        }
        var js = left + right
        if let base { js /= log(base) }
        return (js / 2.0).squareRoot()
    }

    /// scipy.special.rel_entr: x·log(x/y), with 0·log(0/y) = 0.
    static func relativeEntropy(_ x: Double, _ y: Double) -> Double {
        if x > 0 && y > 0 { return x * log(x / y) }
        if x == 0 && y >= 0 { return 0 }
        return .infinity
    }

    /// Evidently's replacement for empty buckets before PSI: the smallest non-zero share divided
    /// by 10⁶ when that share is at most 0.0001, otherwise 0.0001. Without it an empty bucket
    /// would make the logarithm infinite.
    public static func fillEmptyBuckets(_ shares: [Double]) -> [Double] {
        guard let smallest = shares.filter({ $0 != 0 }).min() else { return shares }
        let fill = smallest <= 0.0001 ? smallest / 1_000_000 : 0.0001
        return shares.map { $0 == 0 ? fill : $0 }
    }

    /// Population Stability Index, Σ (r - c)·ln(r / c), over shares that already had empty
    /// buckets filled (see `fillEmptyBuckets`).
    public static func populationStability(referenceShares r: [Double], currentShares c: [Double]) -> Double {
        precondition(r.count == c.count, "populationStability needs vectors of equal length")
        var sum = 0.0
        for i in r.indices { sum += (r[i] - c[i]) * log(r[i] / c[i]) }
        return sum
    }

    /// Result of a test that yields a statistic and a p-value.
    public struct TestResult: Sendable, Equatable {
        public var statistic: Double
        public var pValue: Double
    }

    /// Pearson's chi-square goodness-of-fit test, `scipy.stats.chisquare(f_obs, f_exp)` with
    /// k - 1 degrees of freedom. Evidently calls it with the current counts as observed and the
    /// reference counts scaled to the current total as expected; `categoricalChiSquare` does that.
    public static func chiSquare(observed: [Double], expected: [Double]) -> TestResult {
        precondition(observed.count == expected.count, "chiSquare needs vectors of equal length")
        var statistic = 0.0
        for i in observed.indices {
            let d = observed[i] - expected[i]
            statistic += d * d / expected[i]
        }
        let df = Double(observed.count - 1)
        return TestResult(statistic: statistic, pValue: SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: df))
    }

    /// Evidently's chi-square drift test on category counts aligned by key.
    public static func categoricalChiSquare(referenceCounts: [Int], currentCounts: [Int]) -> TestResult {
        let nRef = Double(referenceCounts.reduce(0, +))
        let nCur = Double(currentCounts.reduce(0, +))
        let scale = nCur / nRef
        return chiSquare(
            observed: currentCounts.map(Double.init),
            expected: referenceCounts.map { Double($0) * scale })
    }

    /// Two-proportion Z-test as Evidently runs it for binary features. `referenceFirst` and
    /// `currentFirst` count the values equal to the first key in sorted order; the statistic is
    /// the pooled z and the p-value `2·(1 - Φ(|z|))`.
    public static func twoProportionZ(
        referenceFirst: Int, referenceCount n1: Int,
        currentFirst: Int, currentCount n2: Int
    ) -> TestResult {
        let p1 = Double(n1 - referenceFirst) / Double(n1)
        let p2 = Double(n2 - currentFirst) / Double(n2)
        let pooled = (p1 * Double(n1) + p2 * Double(n2)) / Double(n1 + n2)
        let z = (p1 - p2) / (pooled * (1 - pooled) * (1.0 / Double(n1) + 1.0 / Double(n2))).squareRoot()
        return TestResult(statistic: z, pValue: 2 * (1 - SpecialFunctions.normalCDF(abs(z))))
    }
}
