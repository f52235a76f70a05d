import CablecarDomain

/// How good a forecast can get at all on a replay: the simulator knows the true state of every
/// segment, but models are scored against observed values, which carry measurement noise. The
/// noise floor is the error of a forecaster that knew the true future state exactly, measured
/// against the same observed labels the models are scored on. The reducible error of a baseline
/// is its error minus the floor; a model's share is how much of it the model removes.
///
/// Measured where the truth is known (the main job's ground-truth file, the benchmarks' own
/// simulation); this type only does the arithmetic and the reporting.
public struct NoiseFloor: Sendable {
    /// Mean absolute difference between truth and label, per target (whole test period, city).
    public var mae: [ForecastTarget: Double]
    public var pairs: [ForecastTarget: Int]

    public init(mae: [ForecastTarget: Double], pairs: [ForecastTarget: Int]) {
        self.mae = mae
        self.pairs = pairs
    }

    /// Share of the reducible error (reference MAE minus the floor) that `model` removes.
    public func reducibleShare(model: Double, reference: Double, target: ForecastTarget) -> Double? {
        guard let floor = mae[target], reference - floor > 1e-9 else { return nil }
        return (reference - model) / (reference - floor)
    }

    /// Run metrics: `noise_floor.<target>.mae` and, per model and horizon,
    /// `reducible_share.<model>.<target>.h<h>` against the historical average (the headline) and
    /// `reducible_share_vs_best_baseline...` against the better of the two baselines.
    public func metrics(_ report: EvaluationReport) -> [(String, Double)] {
        var metrics: [(String, Double)] = []
        for (target, value) in mae.sorted(by: { $0.key < $1.key }) { metrics.append(("noise_floor.\(target.rawValue).mae", value)) }
        for target in report.targets {
            for horizon in report.horizons {
                guard let average = report.errors(.historicalAverage, target, horizon)?.mae else { continue }
                let best = min(average, report.errors(.persistence, target, horizon)?.mae ?? average)
                for model in report.models {
                    guard let value = report.errors(model, target, horizon)?.mae else { continue }
                    if let share = reducibleShare(model: value, reference: average, target: target) {
                        metrics.append(("reducible_share.\(model.rawValue).\(target.rawValue).h\(horizon)", share))
                    }
                    if let share = reducibleShare(model: value, reference: best, target: target) {
                        metrics.append(("reducible_share_vs_best_baseline.\(model.rawValue).\(target.rawValue).h\(horizon)", share))
                    }
                }
            }
        }
        return metrics
    }

    /// The table printed after the evaluation.
    public func rendered(_ report: EvaluationReport) -> String {
        var lines = [
            "noise floor (truth vs observed labels over the test period): "
                + mae.sorted { $0.key < $1.key }.map {
                    "\($0.key.rawValue) MAE \(String(format: "%.3f", $0.value)) (\(pairs[$0.key] ?? 0) pairs)"
                }
                .joined(separator: ", ")
        ]
        lines.append("share of the reducible error removed (vs historical average; vs the better baseline):")
        for target in report.targets {
            for horizon in report.horizons {
                guard let average = report.errors(.historicalAverage, target, horizon)?.mae,
                    let candidate = report.errors(.candidate, target, horizon)?.mae
                else { continue }
                let best = min(average, report.errors(.persistence, target, horizon)?.mae ?? average)
                func percent(_ value: Double?) -> String { value.map { String(format: "%5.1f %%", $0 * 100) } ?? "  n/a" }
                lines.append(
                    "  \(target.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) h\(horizon)  candidate "
                        + "\(percent(reducibleShare(model: candidate, reference: average, target: target)));  "
                        + "\(percent(reducibleShare(model: candidate, reference: best, target: target)))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
