import Foundation
import Testing

@testable import CablecarDrift

/// The expected values written by scripts/drift-fixtures.py.
// swift-format-ignore: AlwaysUseLowerCamelCase
// Property names are the fixture file's keys (written by scipy/Evidently scripts).
struct ScipyFixtures: Decodable {
    struct SampleSpec: Decodable {
        var seed: UInt64
        var n: Int
        var shape: String
        var scale: Double
        var shift: Double
        var decimals: Int?

        /// Regenerates the sample exactly as the Python script does.
        func values() -> [Double] {
            var rng = SplitMix64(seed: seed)
            var out: [Double] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                var x = shape == "uniform" ? rng.uniform() : rng.normalish()
                x = x * scale + shift
                if let decimals {
                    let f = pow(10.0, Double(decimals))
                    x = floor(x * f) / f
                }
                out.append(x)
            }
            return out
        }
    }

    struct CategorySpec: Decodable {
        var seed: UInt64
        var n: Int
        var cumulative: [Double]
        var labels: [String]

        func values() -> [String] {
            var rng = SplitMix64(seed: seed)
            return (0..<n).map { _ in
                let u = rng.uniform()
                var i = 0
                while i < cumulative.count - 1 && u >= cumulative[i] { i += 1 }
                return labels[i]
            }
        }
    }

    struct NumericCase: Decodable {
        var name: String
        var reference: SampleSpec
        var current: SampleSpec
        var ks_statistic: Double
        var ks_pvalue: Double
        var ks_method: String
        var wasserstein: Double
        var wasserstein_norm: Double
        var jensenshannon_evidently: Double
        var psi_evidently: Double
        var psi_quantile10: Double
        var sturges_edges: [Double]?
    }

    struct CategoricalCase: Decodable {
        var name: String
        var reference: CategorySpec
        var current: CategorySpec
        var keys: [String]
        var chisquare_statistic: Double
        var chisquare_pvalue: Double
        var jensenshannon: Double
        var z_statistic: Double?
        var z_pvalue: Double?
    }

    struct KSTwo: Decodable {
        var n: Int
        var x: Double
        var sf: Double
    }
    struct Chi2: Decodable {
        var df: Double
        var x: Double
        var sf: Double
    }
    struct Normal: Decodable {
        var x: Double
        var cdf: Double
    }
    struct JSVector: Decodable {
        var p: [Double]
        var q: [Double]
        var distance: Double
    }
    struct ChiVector: Decodable {
        var observed: [Double]
        var expected: [Double]
        var statistic: Double
        var pvalue: Double
    }

    var scipy: String
    var numeric: [NumericCase]
    var categorical: [CategoricalCase]
    var kstwo_sf: [KSTwo]
    var smirnov_sf: [KSTwo]
    var chi2_sf: [Chi2]
    var normal_cdf: [Normal]
    var jensenshannon: [JSVector]
    var chisquare: [ChiVector]

    static let shared: ScipyFixtures = {
        do {
            guard let url = Bundle.module.url(forResource: "scipy-reference", withExtension: "json", subdirectory: "Fixtures") else {
                fatalError("Fixtures/scipy-reference.json is missing from the test bundle")
            }
            return try JSONDecoder().decode(ScipyFixtures.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read scipy fixtures: \(error)")
        }
    }()
}

/// |a - b| <= tolerance, or both relatively within tolerance for values beyond 1.
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    if a == b { return true }
    if a.isNaN || b.isNaN { return false }
    return abs(a - b) <= tolerance * max(1, abs(b))
}

func fixtureURL(_ name: String) throws -> URL {
    try #require(
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
        "fixture \(name) missing")
}
