import Foundation
import Testing

@testable import CablecarDrift

@Suite("Statistics equal scipy's on fixed inputs")
struct ScipyEqualityTests {
    let fixtures = ScipyFixtures.shared

    @Test func kolmogorovSmirnovTwoSampleMatchesScipy() {
        for c in fixtures.numeric {
            let result = KolmogorovSmirnovTest.test(c.reference.values(), c.current.values())
            #expect(close(result.statistic, c.ks_statistic), "\(c.name): statistic \(result.statistic) vs \(c.ks_statistic)")
            #expect(close(result.pValue, c.ks_pvalue), "\(c.name): p-value \(result.pValue) vs \(c.ks_pvalue)")
            #expect(result.method.rawValue == c.ks_method, "\(c.name): method")
        }
    }

    @Test func wassersteinMatchesScipyAndEvidentlyNorm() {
        for c in fixtures.numeric {
            let ref = c.reference.values()
            let d = Wasserstein.distance(ref, c.current.values())
            #expect(close(d, c.wasserstein), "\(c.name): \(d) vs \(c.wasserstein)")
            let sd = ref.withUnsafeBufferPointer { Moments.of($0).standardDeviation }
            let normed = Wasserstein.normalized(distance: d, referenceStandardDeviation: sd)
            #expect(close(normed, c.wasserstein_norm), "\(c.name): normed \(normed) vs \(c.wasserstein_norm)")
        }
    }

    @Test func binnedDistancesMatchEvidentlyBinning() {
        for c in fixtures.numeric {
            let ref = c.reference.values().sorted()
            let cur = c.current.values().sorted()
            let binned = EvidentlyBinning.shares(sortedReference: ref, sortedCurrent: cur)
            if let edges = c.sturges_edges {
                #expect(binned.edges == edges, "\(c.name): Sturges edges differ")
            }
            let js = Divergences.jensenShannon(binned.reference, binned.current)
            #expect(close(js, c.jensenshannon_evidently), "\(c.name): JS \(js) vs \(c.jensenshannon_evidently)")
            let psi = Divergences.populationStability(
                referenceShares: Divergences.fillEmptyBuckets(binned.reference),
                currentShares: Divergences.fillEmptyBuckets(binned.current))
            #expect(close(psi, c.psi_evidently), "\(c.name): PSI \(psi) vs \(c.psi_evidently)")
            let quantilePSI = PSIBinning.referenceQuantiles(10).psi(sortedReference: ref, sortedCurrent: cur)
            #expect(close(quantilePSI, c.psi_quantile10), "\(c.name): quantile PSI \(quantilePSI) vs \(c.psi_quantile10)")
        }
    }

    @Test func categoricalTestsMatchScipy() {
        for c in fixtures.categorical {
            let ref = c.reference.values()
            let cur = c.current.values()
            let rc = c.keys.map { k in ref.filter { $0 == k }.count }
            let cc = c.keys.map { k in cur.filter { $0 == k }.count }
            let chi = Divergences.categoricalChiSquare(referenceCounts: rc, currentCounts: cc)
            #expect(close(chi.statistic, c.chisquare_statistic), "\(c.name): chi2 statistic")
            #expect(close(chi.pValue, c.chisquare_pvalue), "\(c.name): chi2 p \(chi.pValue) vs \(c.chisquare_pvalue)")
            let js = Divergences.jensenShannon(rc.map(Double.init), cc.map(Double.init))
            #expect(close(js, c.jensenshannon), "\(c.name): JS")
            if let zs = c.z_statistic, let zp = c.z_pvalue {
                let z = Divergences.twoProportionZ(
                    referenceFirst: rc[0], referenceCount: ref.count,
                    currentFirst: cc[0], currentCount: cur.count)
                #expect(close(z.statistic, zs), "\(c.name): z \(z.statistic) vs \(zs)")
                #expect(close(z.pValue, zp), "\(c.name): z p \(z.pValue) vs \(zp)")
            }
        }
    }

    @Test func kolmogorovDistributionMatchesKstwo() {
        for c in fixtures.kstwo_sf {
            let sf = KolmogorovDistribution.survival(c.x, n: c.n)
            #expect(close(sf, c.sf), "kstwo.sf(\(c.x), \(c.n)) = \(c.sf), got \(sf)")
        }
    }

    @Test func smirnovMatchesScipy() {
        for c in fixtures.smirnov_sf {
            let sf = SmirnovDistribution.survival(c.x, n: c.n)
            #expect(close(sf, c.sf), "smirnov(\(c.n), \(c.x)) = \(c.sf), got \(sf)")
        }
    }

    @Test func chiSquareSurvivalAndNormalCDFMatchScipy() {
        for c in fixtures.chi2_sf {
            let sf = SpecialFunctions.chiSquareSurvival(c.x, degreesOfFreedom: c.df)
            #expect(close(sf, c.sf), "chi2.sf(\(c.x), \(c.df)) = \(c.sf), got \(sf)")
        }
        for c in fixtures.normal_cdf {
            #expect(close(SpecialFunctions.normalCDF(c.x), c.cdf), "ndtr(\(c.x))")
        }
    }

    @Test func vectorDistancesMatchScipy() {
        for v in fixtures.jensenshannon {
            #expect(close(Divergences.jensenShannon(v.p, v.q), v.distance))
        }
        for v in fixtures.chisquare {
            let r = Divergences.chiSquare(observed: v.observed, expected: v.expected)
            #expect(close(r.statistic, v.statistic))
            #expect(close(r.pValue, v.pvalue))
        }
    }
}
