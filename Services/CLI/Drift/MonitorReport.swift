import CablecarDomain
import Foundation

/// `cablecar drift report`'s content: per neighborhood, the production model's accuracy by
/// target and horizon against the fallback and the test period over `[from, to)`, and the
/// monitor's alerts. Built from cablecar-monitor's day windows (`GET /api/v1/accuracy`) and
/// alerts (`GET /api/v1/alerts`).
struct MonitorReport: Encodable, Equatable {
    /// One row of the monitor's accuracy API (the fields the report uses).
    struct WindowRow: Decodable, Equatable {
        var neighborhood: String
        var target: String
        var horizon: Int
        var role: String
        var modelVersion: Int
        var n: Int
        var mae: Double?
        var baselineMAE: Double?
        var testMAE: Double?

        enum CodingKeys: String, CodingKey {
            case neighborhood, target, role, n, mae
            case horizon = "horizon_min"
            case modelVersion = "model_version"
            case baselineMAE = "baseline_mae"
            case testMAE = "test_mae"
        }
    }

    /// One row of the monitor's drift API (the fields the report uses).
    struct DriftRow: Decodable, Equatable {
        struct Shift: Decodable, Equatable {
            var wassersteinNormed: Double

            enum CodingKeys: String, CodingKey { case wassersteinNormed = "wasserstein_normed" }
        }

        var neighborhood: String
        var name: String
        var shift: Shift
    }

    /// Evidently's default drift decision for a numerical column with a large reference.
    static let evidentlyThreshold = 0.1

    struct Accuracy: Encodable, Equatable {
        var target: String
        var horizon: Int
        var pairs: Int
        var mae: Double?
        var fallbackMAE: Double?
        var testMAE: Double?
        var ratioToFallback: Double? { ratio(mae, fallbackMAE) }
        var ratioToTest: Double? { ratio(mae, testMAE) }

        enum CodingKeys: String, CodingKey {
            case target
            case horizon = "horizon_min"
            case pairs, mae
            case fallbackMAE = "fallback_mae"
            case testMAE = "test_mae"
            case ratioToFallback = "ratio_to_fallback"
            case ratioToTest = "ratio_to_test"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(target, forKey: .target)
            try c.encode(horizon, forKey: .horizon)
            try c.encode(pairs, forKey: .pairs)
            try c.encode(mae, forKey: .mae)
            try c.encode(fallbackMAE, forKey: .fallbackMAE)
            try c.encode(testMAE, forKey: .testMAE)
            try c.encode(ratioToFallback, forKey: .ratioToFallback)
            try c.encode(ratioToTest, forKey: .ratioToTest)
        }
    }

    struct Neighborhood: Encodable, Equatable {
        var name: String
        var accuracy: [Accuracy]
        var openAlerts: Int
        var alerts: [MonitorAlert]
        /// Features and predictions whose served distribution in the monitor's newest drift window
        /// is at least `evidentlyThreshold` (normalized Wasserstein) from the training reference,
        /// largest first, as `name (distance)`.
        var driftedFeatures: [String]

        enum CodingKeys: String, CodingKey {
            case name = "neighborhood"
            case accuracy
            case openAlerts = "open_alerts"
            case alerts
            case driftedFeatures = "drifted_features"
        }
    }

    var from: EpochMillis
    var to: EpochMillis
    var neighborhoods: [Neighborhood]

    /// Pair-weighted means over the days of the range, production role only.
    static func build(from: EpochMillis, to: EpochMillis, rows: [WindowRow], alerts: [MonitorAlert], drift: [DriftRow] = [])
        -> MonitorReport
    {
        struct Key: Hashable {
            var neighborhood: String
            var target: String
            var horizon: Int
        }
        var sums: [Key: (n: Int, mae: Double, maeN: Int, base: Double, baseN: Int, test: Double, testN: Int)] = [:]
        for row in rows where row.role == "production" && row.n > 0 {
            let key = Key(neighborhood: row.neighborhood, target: row.target, horizon: row.horizon)
            var s = sums[key] ?? (0, 0, 0, 0, 0, 0, 0)
            let w = Double(row.n)
            s.n += row.n
            if let v = row.mae, v.isFinite {
                s.mae += v * w
                s.maeN += row.n
            }
            if let v = row.baselineMAE, v.isFinite {
                s.base += v * w
                s.baseN += row.n
            }
            if let v = row.testMAE, v.isFinite {
                s.test += v * w
                s.testN += row.n
            }
            sums[key] = s
        }
        let names = Set(sums.keys.map(\.neighborhood)).union(alerts.map(\.neighborhood)).union(drift.map(\.neighborhood)).sorted()
        let neighborhoods = names.map { name in
            let accuracy = sums.filter { $0.key.neighborhood == name }
                .sorted { ($0.key.target, $0.key.horizon) < ($1.key.target, $1.key.horizon) }
                .map { key, s in
                    Accuracy(
                        target: key.target, horizon: key.horizon, pairs: s.n, mae: s.maeN > 0 ? s.mae / Double(s.maeN) : nil,
                        fallbackMAE: s.baseN > 0 ? s.base / Double(s.baseN) : nil, testMAE: s.testN > 0 ? s.test / Double(s.testN) : nil)
                }
            let mine = alerts.filter { $0.neighborhood == name }
            let drifted = drift.filter { $0.neighborhood == name && $0.shift.wassersteinNormed >= evidentlyThreshold }
                .sorted { ($1.shift.wassersteinNormed, $0.name) < ($0.shift.wassersteinNormed, $1.name) }
                .map { "\($0.name) (\(String(format: "%.2f", $0.shift.wassersteinNormed)))" }
            return Neighborhood(
                name: name, accuracy: accuracy, openAlerts: mine.filter { $0.state == .open }.count, alerts: mine,
                driftedFeatures: drifted)
        }
        return MonitorReport(from: from, to: to, neighborhoods: neighborhoods)
    }
}

func ratio(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b, b > 0 else { return nil }
    return a / b
}
