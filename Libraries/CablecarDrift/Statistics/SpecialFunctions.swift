import Foundation

/// Special functions behind the p-values, written out here so that the library needs nothing but
/// Foundation and so that every p-value is reproducible against scipy (which uses the same
/// Cephes/xsf formulations).
public enum SpecialFunctions {
    /// Standard normal cumulative distribution, via `erfc` so that the far tails keep full
    /// relative precision (scipy's `ndtr`).
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) (Cephes `igamc`).
    /// Chi-square survival is Q(df/2, x/2).
    public static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, !a.isNaN, !x.isNaN else { return .nan }
        if x == 0 { return 1 }
        if x.isInfinite { return 0 }
        if x < 1 || x < a { return 1 - lowerSeries(a, x) }
        return upperContinuedFraction(a, x)
    }

    /// Regularized lower incomplete gamma function P(a, x).
    public static func regularizedLowerGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, !a.isNaN, !x.isNaN else { return .nan }
        if x == 0 { return 0 }
        if x.isInfinite { return 1 }
        if x > 1 && x > a { return 1 - upperContinuedFraction(a, x) }
        return lowerSeries(a, x)
    }

    /// Survival function of the chi-square distribution (scipy `chi2.sf`, i.e. `chdtrc`).
    /// Returns NaN for df <= 0, which callers report as "no p-value" rather than inventing one.
    public static func chiSquareSurvival(_ statistic: Double, degreesOfFreedom df: Double) -> Double {
        guard df > 0, !statistic.isNaN else { return .nan }
        if statistic <= 0 { return 1 }
        return regularizedUpperGamma(df / 2, statistic / 2)
    }

    private static let machineEpsilon = 1.11022302462515654042e-16
    private static let big = 4.503599627370496e15
    private static let bigInverse = 2.22044604925031308085e-16

    /// Power series for P(a, x), convergent for x < a + 1.
    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        let ax = a * log(x) - x - lgamma(a)
        if ax < -709.78271289338399 { return 0 }
        let prefactor = exp(ax)
        var r = a
        var c = 1.0
        var ans = 1.0
        repeat {
            r += 1
            c *= x / r
            ans += c
        } while c / ans > machineEpsilon
        return ans * prefactor / a
    }

    /// Continued fraction for Q(a, x), convergent for x > a + 1 (Cephes `igamc`).
    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let ax = a * log(x) - x - lgamma(a)
        if ax < -709.78271289338399 { return 0 }
        let prefactor = exp(ax)
        var y = 1 - a
        var z = x + y + 1
        var c = 0.0
        var pkm2 = 1.0
        var qkm2 = x
        var pkm1 = x + 1
        var qkm1 = z * x
        var ans = pkm1 / qkm1
        var t = 1.0
        repeat {
            c += 1
            y += 1
            z += 2
            let yc = y * c
            let pk = pkm1 * z - pkm2 * yc
            let qk = qkm1 * z - qkm2 * yc
            if qk != 0 {
                let r = pk / qk
                t = abs((ans - r) / r)
                ans = r
            } else {
                t = 1
            }
            pkm2 = pkm1
            pkm1 = pk
            qkm2 = qkm1
            qkm1 = qk
            if abs(pk) > big {
                pkm2 *= bigInverse
                pkm1 *= bigInverse
                qkm2 *= bigInverse
                qkm1 *= bigInverse
            }
        } while t > machineEpsilon
        return ans * prefactor
    }
}
