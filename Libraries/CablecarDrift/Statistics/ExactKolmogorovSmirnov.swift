import Foundation

/// Exact null distribution of the two-sample Kolmogorov–Smirnov statistic, as scipy's
/// `_attempt_exact_2kssamp` computes it: lattice-path counting after Hodges (1958), with
/// Viehmann's (2021) recursion for 1 - p, which stays accurate for small p-values.
enum ExactKolmogorovSmirnov {
    /// Pr(D_{n,n} >= h/n) for equal sample sizes, by the alternating binomial series evaluated
    /// Horner-style so that the terms never cancel.
    static func probabilityOutsideSquare(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = Int(floor(Double(n) / Double(h)))
        while k >= 0 {
            var p1 = 1.0
            for j in 0..<h {
                p1 = Double(n - k * h - j) * p1 / Double(n + k * h + j + 1)
            }
            p = p1 * (1.0 - p)
            k -= 1
        }
        return 2 * p
    }

    /// Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm(m,n).
    static func outerProbabilityInside(m mIn: Int, n nIn: Int, g: Int, h: Int) -> Double {
        let (m, n) = mIn < nIn ? (nIn, mIn) : (mIn, nIn)
        let mg = m / g
        let ng = n / g
        var minJ = 0
        var maxJ = min(Int(ceil(Double(h) / Double(mg))), n + 1)
        var currentLength = maxJ - minJ
        let lengthA = min(2 * maxJ + 2, n + 1)
        var a = [Double](repeating: 1, count: lengthA)
        for idx in minJ..<min(maxJ, lengthA) { a[idx] = 0 }
        for i in 1...m {
            let lastMinJ = minJ
            let lastLength = currentLength
            minJ = max(Int(floor(Double(ng * i - h) / Double(mg))) + 1, 0)
            minJ = min(minJ, n)
            maxJ = min(Int(ceil(Double(ng * i + h) / Double(mg))), n + 1)
            if maxJ <= minJ { return 1.0 }
            var value = minJ == 0 ? 0.0 : 1.0
            let id = Double(i)
            for jj in 0..<(maxJ - minJ) {
                let j = jj + minJ
                let source = jj + minJ - lastMinJ
                let previous = source < lengthA ? a[source] : 1.0
                value = (previous * id + value * Double(j)) / (id + Double(j))
                a[jj] = value
            }
            currentLength = maxJ - minJ
            if lastLength > currentLength {
                let start = maxJ - minJ
                let end = min(start + (lastLength - currentLength), lengthA)
                if start < end { for idx in start..<end { a[idx] = 1 } }
            }
        }
        return a[maxJ - minJ - 1]
    }
}
