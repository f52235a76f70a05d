import CablecarDomain
import CablecarFeatureClient
import CablecarForecasting
import Foundation

/// How good a forecast can get at all on a replay: the simulator knows the true state of every
/// segment, but models are scored against observed values, which carry measurement noise. The
/// noise floor is the error of a forecaster that knew the true future state exactly, measured
/// against the same observed labels the models are scored on. The reducible error of a baseline
/// is its error minus the floor; a model's share is how much of it the model removes.
struct NoiseFloor: Sendable {
    /// Mean absolute difference between truth and label, per target (whole test period, city).
    var mae: [ForecastTarget: Double]
    var pairs: [ForecastTarget: Int]

    /// Reads the truth of `[start, end)` from the replay's ground-truth file and the labels from
    /// the feature store (the same point-in-time retrieval the trainer scores on).
    static func measure(groundTruth: URL, featuresURL: URL, start: EpochMillis, end: EpochMillis) async throws -> NoiseFloor {
        let truth = try readTruth(groundTruth, start: start, end: end)
        let client = FeatureClient(baseURL: featuresURL, recordSnapshots: false)
        let snapshot = try await client.historical(SnapshotRequest(start: start, end: end, features: ["speed_lag_1"]))
        var sums: [ForecastTarget: Double] = [:]
        var counts: [ForecastTarget: Int] = [:]
        for row in snapshot.rows {
            guard let state = truth[Key(segment: row.segmentID, time: row.timestamp)] else { continue }
            if let observed = row.actualSpeedKmh {
                sums[.speed, default: 0] += abs(observed - state.speed)
                counts[.speed, default: 0] += 1
            }
            if let observed = row.actualFlowVehiclesPerHour {
                sums[.flow, default: 0] += abs(observed - state.flow)
                counts[.flow, default: 0] += 1
            }
        }
        var mae: [ForecastTarget: Double] = [:]
        for (target, count) in counts where count > 0 { mae[target] = (sums[target] ?? 0) / Double(count) }
        return NoiseFloor(mae: mae, pairs: counts)
    }

    struct Key: Hashable {
        var segment: String
        var time: EpochMillis
    }

    /// Segment truth rows of the file within `[start, end)`.
    static func readTruth(_ url: URL, start: EpochMillis, end: EpochMillis) throws -> [Key: (speed: Double, flow: Double)] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ValidationErrorText("no ground truth at \(url.path)")
        }
        struct Line: Decodable {
            var type: String
            var segmentID: String?
            var eventTime: EpochMillis?
            var speedKmh: Double?
            var flowVehiclesPerHour: Double?
            enum CodingKeys: String, CodingKey {
                case type
                case segmentID = "segment_id"
                case eventTime = "event_time"
                case speedKmh = "speed_kmh"
                case flowVehiclesPerHour = "flow_veh_h"
            }
        }
        let decoder = JSONDecoder()
        var truth: [Key: (Double, Double)] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) where line.count > 20 {
            // Cheap pre-filter: only segment rows are decoded.
            guard line.starts(with: Array(#"{"type":"segment""#.utf8)) else { continue }
            guard let row = try? decoder.decode(Line.self, from: Data(line)), let segment = row.segmentID,
                let time = row.eventTime, time >= start, time < end, let speed = row.speedKmh, let flow = row.flowVehiclesPerHour
            else { continue }
            truth[Key(segment: segment, time: time)] = (speed, flow)
        }
        return truth
    }

    /// Share of the reducible error (reference MAE minus the floor) that `model` removes.
    func reducibleShare(model: Double, reference: Double, target: ForecastTarget) -> Double? {
        guard let floor = mae[target], reference - floor > 1e-9 else { return nil }
        return (reference - model) / (reference - floor)
    }

    /// Run metrics: `noise_floor.<target>.mae` and, per model and horizon,
    /// `reducible_share.<model>.<target>.h<h>` against the historical average (the headline) and
    /// `reducible_share_vs_best_baseline...` against the better of the two baselines.
    func metrics(_ report: EvaluationReport) -> [(String, Double)] {
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
    func rendered(_ report: EvaluationReport) -> String {
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
