import Foundation

/// The exact distribution of the one-sample two-sided Kolmogorov–Smirnov statistic D_n
/// (scipy's `kstwo`). `ks_2samp` uses its survival function with n = round(m·n/(m+n)) as the
/// asymptotic p-value, so reproducing scipy means reproducing `kolmogn`'s algorithm choice
/// (Simard & L'Ecuyer 2011): Ruben–Gambino at the ends, the Durbin matrix (Marsaglia–Tsang–Wang),
/// Pomeranz's recursion, Pelz–Good's approximation, or twice the one-sided Smirnov tail.
public enum KolmogorovDistribution {
    /// Pr(D_n > x), as `scipy.stats.kstwo.sf(x, n)`.
    public static func survival(_ x: Double, n: Int) -> Double {
        guard n >= 1, !x.isNaN else { return .nan }
        // rv_continuous support is (0.5/n, 1]: at or below the left end the survival is 1.
        if x <= 0.5 / Double(n) { return 1 }
        if x >= 1 { return 0 }
        return kolmogn(n: n, x: x)
    }

    private static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }

    private static func kolmogn(n: Int, x: Double) -> Double {
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let cdf: Double
            if n <= 140 {
                var product = 1.0
                for i in 1...n { product *= Double(i) * (1.0 / nd) * (2 * t - 1) }
                cdf = product
            } else {
                cdf = exp(logFactorialOverPower(nd) + nd * log(2 * t - 1))
            }
            return clip(1 - cdf)
        }
        if t >= nd - 1 {
            return clip(2 * pow(1 - x, nd))
        }
        if x >= 0.5 {
            return clip(2 * SmirnovDistribution.survival(x, n: n))
        }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 {
                return clip(1 - durbinMatrixCDF(n: n, d: x))
            }
            if nxSquared <= 4 {
                return clip(1 - pomeranzCDF(n: n, x: x))
            }
            return clip(2 * SmirnovDistribution.survival(x, n: n))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * SmirnovDistribution.survival(x, n: n)) }
        let cdf: Double
        if n <= 100_000 && nd * pow(x, 1.5) <= 1.4 {
            cdf = durbinMatrixCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    private static let stirlingCoefficients: [Double] = [
        -2.955065359477124183e-2, 6.4102564102564102564e-3,
        -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4,
        -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ]

    /// log(n! / n^n) by Stirling's series.
    private static func logFactorialOverPower(_ n: Double) -> Double {
        let rn = 1.0 / n
        let z = rn / n
        var poly = 0.0
        for c in stirlingCoefficients { poly = poly * z + c }
        return log(n) / 2 - n + log(2 * Double.pi) / 2 + rn * poly
    }

    private static let scaleUp = 0x1p128
    private static let scaleDown = 0x1p-128

    /// Durbin's matrix algorithm as refined by Marsaglia, Tsang and Wang (2003).
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(ceil(nd))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        var fac = 1.0
        for j in 1...m {
            w[j - 1] = fac
            fac /= Double(j)
            v[j - 1] = (1.0 - pow(h, Double(j))) * fac
        }
        let tt = pow(max(2 * h - 1.0, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1.0 + tt) * fac
        var matrix = [Double](repeating: 0, count: m * m)
        for i in 1..<max(m, 1) {
            for row in (i - 1)..<m { matrix[row * m + i] = w[row - (i - 1)] }
        }
        for row in 0..<m { matrix[row * m] = v[row] }
        for col in 0..<m { matrix[(m - 1) * m + col] = v[m - 1 - col] }

        var power = [Double](repeating: 0, count: m * m)
        for i in 0..<m { power[i * m + i] = 1 }
        var remaining = n
        var exponent = 0
        var matrixExponent = 0
        var scratch = [Double](repeating: 0, count: m * m)
        while remaining > 0 {
            if remaining % 2 == 1 {
                multiply(power, matrix, into: &scratch, size: m)
                swap(&power, &scratch)
                exponent += matrixExponent
            }
            multiply(matrix, matrix, into: &scratch, size: m)
            swap(&matrix, &scratch)
            matrixExponent *= 2
            if abs(matrix[(k - 1) * m + (k - 1)]) > scaleUp {
                for i in matrix.indices { matrix[i] /= scaleUp }
                matrixExponent += 128
            }
            remaining /= 2
        }
        var p = power[(k - 1) * m + (k - 1)]
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < scaleDown {
                p *= scaleUp
                exponent -= 128
            }
        }
        if exponent != 0 { p = scalbn(p, exponent) }
        return min(max(p, 0), 1)
    }

    private static func multiply(_ a: [Double], _ b: [Double], into c: inout [Double], size m: Int) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<(m * m) { pc[i] = 0 }
                    for i in 0..<m {
                        for l in 0..<m {
                            let ail = pa[i * m + l]
                            if ail == 0 { continue }
                            for j in 0..<m { pc[i * m + j] += ail * pb[l * m + j] }
                        }
                    }
                }
            }
        }
    }

    /// Pomeranz's (1974) recursion, used by scipy for small n and moderate n·x².
    static func pomeranzCDF(n: Int, x: Double) -> Double {
        let t = Double(n) * x
        let ll = Int(floor(t))
        let f = t - Double(ll)
        let g = min(f, 1.0 - f)
        let ceilf = f > 0 ? 1 : 0
        let roundf = f > 0.5 ? 1 : 0
        let powers = 2 * (ll + 1)
        var gPower = [Double](repeating: 1, count: powers)
        var twoGPower = [Double](repeating: 1, count: powers)
        var oneMinusTwoGPower = [Double](repeating: 1, count: powers)
        let nd = Double(n)
        for m in 1..<powers {
            gPower[m] = gPower[m - 1] * (g / nd) / Double(m)
            twoGPower[m] = twoGPower[m - 1] * (2 * g / nd) / Double(m)
            oneMinusTwoGPower[m] = oneMinusTwoGPower[m - 1] * ((1 - 2 * g) / nd) / Double(m)
        }
        var v0 = [Double](repeating: 0, count: powers)
        var v1 = [Double](repeating: 0, count: powers)
        v1[0] = 1
        var v0Start = 0
        var v1Start = 0
        var exponent = 0
        var (j1, j2) = pomeranzBounds(0, n: n, ll: ll, ceilf: ceilf, roundf: roundf)
        for i in 1..<(2 * n + 2) {
            let k1 = j1
            swap(&v0, &v1)
            swap(&v0Start, &v1Start)
            for idx in v1.indices { v1[idx] = 0 }
            (j1, j2) = pomeranzBounds(i, n: n, ll: ll, ceilf: ceilf, roundf: roundf)
            let pw: [Double]
            if i == 1 || i == 2 * n + 1 {
                pw = gPower
            } else {
                pw = i % 2 == 1 ? twoGPower : oneMinusTwoGPower
            }
            let ln2 = j2 - k1 + 1
            if ln2 > 0 {
                let aStart = k1 - v0Start
                let aEnd = min(aStart + ln2, powers)
                let aLength = max(aEnd - aStart, 0)
                let bLength = min(ln2, powers)
                let convStart = j1 - k1
                let convLength = j2 - j1 + 1
                if aStart >= 0 && aLength > 0 && bLength > 0 && convLength > 0 {
                    for out in 0..<convLength {
                        let idx = convStart + out
                        var sum = 0.0
                        let lo = max(0, idx - (bLength - 1))
                        let hi = min(idx, aLength - 1)
                        if lo <= hi {
                            for a in lo...hi { sum += v0[aStart + a] * pw[idx - a] }
                        }
                        v1[out] = sum
                    }
                }
                let maximum = v1.max() ?? 0
                if maximum > 0 && maximum < scaleDown {
                    for idx in v1.indices { v1[idx] *= scaleUp }
                    exponent -= 128
                }
                v1Start = v0Start + j1 - k1
            }
        }
        var answer = v1[n - v1Start]
        for m in 1...n {
            if abs(answer) > scaleUp {
                answer *= scaleDown
                exponent += 128
            }
            answer *= Double(m)
        }
        if exponent != 0 { answer = scalbn(answer, exponent) }
        return min(max(answer, 0), 1)
    }

    private static func pomeranzBounds(_ i: Int, n: Int, ll: Int, ceilf: Int, roundf: Int) -> (Int, Int) {
        var j1: Int
        var j2: Int
        if i == 0 {
            j1 = -ll - ceilf - 1
            j2 = ll + ceilf - 1
        } else {
            let half = (i + 1) / 2
            if (i + 1) % 2 == 0 {
                if half == n + 1 {
                    j1 = n - ll - ceilf - 1
                    j2 = n + ll + ceilf - 1
                } else {
                    j1 = half - 1 - ll - roundf - 1
                    j2 = half + ll - 1 + ceilf - 1
                }
            } else {
                j1 = half - 1 - ll - 1
                j2 = half + ll + roundf - 1
            }
        }
        return (max(j1 + 2, 0), min(j2, n))
    }

    /// Pelz–Good (1976) asymptotic expansion of Pr(D_n <= x), for large n.
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let nd = Double(n)
        let z = nd.squareRoot() * x
        let z2 = z * z
        let z3 = z2 * z
        let z4 = z2 * z2
        let z6 = z4 * z2
        let pi2 = Double.pi * Double.pi
        let pi4 = pi2 * pi2
        let pi6 = pi4 * pi2
        let qlog = -pi2 / 8 / z2
        if qlog < -708 { return 0 }
        var q = exp(qlog)
        let k1a = -z2
        let k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4
        let k2b = (2 * z4 - 5 * z2) * pi2 / 4
        let k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * pow(z, 8)
        var terms = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int(ceil(16 * z / Double.pi))
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let m = Double(2 * k - 1)
                let m2 = m * m
                let m4 = m2 * m2
                let m6 = m4 * m2
                let qPower = pow(q, Double(8 * k))
                let coefficients = [
                    1.0,
                    k1a + k1b * m2,
                    k2a + k2b * m2 + k2c * m4,
                    k3a + k3b * m2 + k3c * m4 + k3d * m6,
                ]
                for i in 0..<4 { terms[i] = terms[i] * qPower + coefficients[i] }
            }
        }
        let sqrt2pi = (2 * Double.pi).squareRoot()
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for i in 0..<4 { terms[i] = terms[i] * q * sqrt2pi / divisors[i] }
        q = exp(-pi2 / 2 / z2)
        var k2Extra = 0.0
        var k3Extra = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let kd = Double(k)
                let ks = kd * kd
                let qp = pow(q, ks)
                k2Extra += ks * qp
                let kspi = Double.pi * kd
                k3Extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks * qp
            }
        }
        terms[2] += k2Extra * pi2 * sqrt2pi / (-36 * z3)
        terms[3] += k3Extra * pi2 * sqrt2pi / (216 * z6)
        for i in 0..<4 { terms[i] /= pow(nd, Double(i) / 2.0) }
        return terms[0] + terms[1] + terms[2] + terms[3]
    }
}
