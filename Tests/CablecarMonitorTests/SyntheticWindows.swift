import CablecarDomain
import Foundation

@testable import CablecarMonitor

/// Hourly accuracy rows built from simulated pairs, as the window query would compute them.
struct SyntheticWindows {
    static let neighborhoods = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa", "Lambda", "Mu"]
    static let start: EpochMillis = 1_767_571_200_000  // 2026-01-05 00:00 UTC, a Monday

    var generator = Generator(seed: 42)
    /// Per neighborhood: the hours in which the model's errors are shifted by `shift`.
    var degraded: [String: Range<Int>] = [:]
    var shift = 6.0
    var pairsPerHour = 60

    /// The rows of hour `hour` for every neighborhood, target and horizon.
    mutating func rows(hour: Int) -> [WindowMetrics] {
        var rows: [WindowMetrics] = []
        for neighborhood in Self.neighborhoods {
            for target in ["speed_kmh", "flow_veh_h"] {
                for horizon in Forecast.horizons {
                    let bad = degraded[neighborhood]?.contains(hour) ?? false
                    // Autocorrelated noise (AR(1), phi 0.8), like real five-minute traffic.
                    var model: [Double] = []
                    var baseline: [Double] = []
                    var m = 0.0
                    var b = 0.0
                    for _ in 0..<pairsPerHour {
                        m = 0.8 * m + 0.6 * generator.normal() * 3
                        b = 0.8 * b + 0.6 * generator.normal() * 4
                        model.append(m + (bad ? shift : 0))
                        baseline.append(b)
                    }
                    rows.append(
                        Self.metrics(
                            hour: hour, neighborhood: neighborhood, target: target, horizon: horizon, model: model, baseline: baseline,
                            testMAE: 2.4))
                }
            }
        }
        return rows
    }

    static func metrics(
        hour: Int, neighborhood: String, target: String, horizon: Int, model: [Double], baseline: [Double], testMAE: Double?,
        role: String = "production"
    ) -> WindowMetrics {
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        func sd(_ values: [Double]) -> Double {
            let mu = mean(values)
            return (values.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        }
        let absModel = model.map(abs)
        let absBase = baseline.map(abs)
        let diff = zip(absModel, absBase).map { $0 - $1 }
        return WindowMetrics(
            windowKind: "hour", windowStart: start + EpochMillis(hour) * 3_600_000, neighborhood: neighborhood, target: target,
            horizonMinutes: horizon, modelName: "traffic", modelVersion: 1, role: role, count: model.count, mae: mean(absModel),
            rmse: mean(model.map { $0 * $0 }).squareRoot(), mape: nil, bias: mean(model), absErrorSD: sd(absModel),
            baselineCount: baseline.count, baselineMAE: mean(absBase), pairedCount: diff.count, pairedDiffMean: mean(diff),
            pairedDiffSD: sd(diff), testMAE: testMAE)
    }
}

/// SplitMix64 with a Box-Muller normal: deterministic across platforms.
struct Generator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
    }
}
