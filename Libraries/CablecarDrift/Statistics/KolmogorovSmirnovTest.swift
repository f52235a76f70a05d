import Foundation

/// Two-sample Kolmogorov–Smirnov test, two-sided, exactly as `scipy.stats.ks_2samp` with its
/// default `method='auto'`: the exact lattice-path p-value when both samples have at most 10,000
/// values, otherwise `kstwo.sf(D, round(m·n/(m+n)))`. Matching scipy bit for bit in the choice of
/// method is what makes our drift decisions agree with Evidently's.
public enum KolmogorovSmirnovTest {
    /// Which p-value computation was used.
    public enum Method: String, Sendable, Codable {
        case exact
        case asymptotic
    }

    public struct Result: Sendable, Equatable {
        public var statistic: Double
        public var pValue: Double
        public var method: Method
    }

    /// scipy's `MAX_AUTO_N`: `auto` is exact when both sizes are at most this.
    public static let maximumExactSampleSize = 10_000

    /// Runs the test on two **sorted** samples without missing values. Both must be non-empty.
    public static func test(
        sortedReference a: UnsafeBufferPointer<Double>,
        sortedCurrent b: UnsafeBufferPointer<Double>
    ) -> Result {
        let d = statistic(sortedReference: a, sortedCurrent: b)
        return pValue(statistic: d, referenceCount: a.count, currentCount: b.count)
    }

    /// Convenience for arrays; sorts copies.
    public static func test(_ reference: [Double], _ current: [Double]) -> Result {
        let a = reference.sorted()
        let b = current.sorted()
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in test(sortedReference: pa, sortedCurrent: pb) }
        }
    }

    /// The largest absolute difference between the two empirical distribution functions,
    /// evaluated at every observed value as scipy does (`searchsorted(..., 'right')`).
    public static func statistic(
        sortedReference a: UnsafeBufferPointer<Double>,
        sortedCurrent b: UnsafeBufferPointer<Double>
    ) -> Double {
        let n1 = a.count
        let n2 = b.count
        let d1 = Double(n1)
        let d2 = Double(n2)
        var i = 0
        var j = 0
        var maxDiff = -Double.infinity
        var minDiff = Double.infinity
        while i < n1 || j < n2 {
            let value: Double
            if j >= n2 || (i < n1 && a[i] <= b[j]) { value = a[i] } else { value = b[j] }
            while i < n1 && a[i] <= value { i += 1 }
            while j < n2 && b[j] <= value { j += 1 }
            let diff = Double(i) / d1 - Double(j) / d2
            if diff > maxDiff { maxDiff = diff }
            if diff < minDiff { minDiff = diff }
        }
        let minS = min(max(-minDiff, 0), 1)
        return minS > maxDiff ? minS : maxDiff
    }

    /// The p-value of statistic `d` for sample sizes n1 and n2, with scipy's method selection.
    /// In exact mode the statistic is snapped to the lattice value h/lcm(n1, n2), as scipy returns it.
    public static func pValue(statistic d: Double, referenceCount n1: Int, currentCount n2: Int) -> Result {
        let g = gcd(n1, n2)
        if max(n1, n2) <= maximumExactSampleSize {
            let lcm = (n1 / g) * n2
            let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
            let snapped = Double(h) / Double(lcm)
            if h == 0 { return Result(statistic: snapped, pValue: 1, method: .exact) }
            let probability =
                n1 == n2
                ? ExactKolmogorovSmirnov.probabilityOutsideSquare(n: n1, h: h)
                : ExactKolmogorovSmirnov.outerProbabilityInside(m: n1, n: n2, g: g, h: h)
            if probability.isFinite && probability >= 0 && probability <= 1 {
                return Result(statistic: snapped, pValue: probability, method: .exact)
            }
            return asymptotic(d: snapped, n1: n1, n2: n2)
        }
        return asymptotic(d: d, n1: n1, n2: n2)
    }

    private static func asymptotic(d: Double, n1: Int, n2: Int) -> Result {
        let m = Double(max(n1, n2))
        let n = Double(min(n1, n2))
        let en = m * n / (m + n)
        let effective = Int(en.rounded(.toNearestOrEven))
        let p = effective >= 1 ? KolmogorovDistribution.survival(d, n: effective) : .nan
        return Result(statistic: d, pValue: min(max(p, 0), 1), method: .asymptotic)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = a
        var y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
