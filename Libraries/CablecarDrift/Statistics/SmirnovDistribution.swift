import Foundation

/// The one-sided Kolmogorov–Smirnov (Smirnov) distribution of D⁺_n, scipy's `special.smirnov`.
/// The survival function is the Birnbaum–Tingey sum
/// `x · Σ_{j < n(1-x)} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)`, whose terms are all positive,
/// so evaluating each term in log space loses no accuracy to cancellation.
public enum SmirnovDistribution {
    /// Beyond this n scipy switches to the approximation exp(-(6nx+1)²/(18n)); so do we.
    static let maximumExactN = 1_000_000
    private static let minimumLog = -708.3964185322641

    /// Pr(D⁺_n >= x), as `scipy.special.smirnov(n, x)`.
    public static func survival(_ x: Double, n: Int) -> Double {
        guard n > 0, x >= 0, x <= 1 else { return .nan }
        if n == 1 { return 1 - x }
        if x == 0 { return 1 }
        if x == 1 { return 0 }
        let nd = Double(n)
        let nx = nd * x
        let nxFloor = Int(floor(nx))
        let alpha = nx - Double(nxFloor)
        if nxFloor == 0 || (nxFloor == 1 && alpha == 0) {
            let cdf = x * pow(1 + x, nd - 1)
            return clip(1 - cdf)
        }
        if -2 * nd * x * x < minimumLog { return 0 }
        if nxFloor >= n - 1 { return clip(pow(1 - x, nd)) }
        if n > maximumExactN {
            let logP = -pow(6.0 * nx + 1, 2) / 18.0 / nd
            return logP < -M_LN2 ? exp(logP) : 1 + expm1(logP)
        }
        // Largest j with 1 - x - j/n > 0.
        let lastTerm = n - nxFloor - 1
        var logBinomial = 0.0
        var logBinomialCompensation = 0.0
        var sum = 0.0
        var compensation = 0.0
        let middle = n / 2
        for j in 0...lastTerm {
            let jd = Double(j)
            let upper = x + jd / nd
            let logLower = upper < 0.5 ? log1p(-upper) : log((Double(n - j) / nd) - x)
            let logTerm = logBinomial + (nd - jd) * logLower + (jd - 1) * log(upper)
            let term = exp(logTerm)
            if term.isFinite && term != 0 {
                let y = term - compensation
                let t = sum + y
                compensation = (t - sum) - y
                sum = t
            }
            if term != 0 {
                if 4 * Double(lastTerm + 1 - j) * term < Double.ulpOfOne * sum && j != lastTerm { break }
            } else if j > middle {
                break
            }
            // log C(n, j+1) = log C(n, j) + log((n - j) / (j + 1)), accumulated with compensation.
            let increment = log(Double(n - j) / Double(j + 1)) - logBinomialCompensation
            let next = logBinomial + increment
            logBinomialCompensation = (next - logBinomial) - increment
            logBinomial = next
        }
        return clip(x * sum)
    }

    private static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }
}
