import CablecarDomain
import CablecarForecasting
import CablecarNumerics
import Foundation

/// Where in the day models err: MAE per local hour of the target time over a period, side by
/// side, and on jammed rows (last speed under half the segment's mean before the period).
/// City-wide, or for one neighborhood (a retrained candidate that missed one neighborhood's
/// weekday ramps showed up only this way).
struct HourlyErrors {
    var data: TrainingData
    var period: Range<EpochMillis>
    var zone: TimeZone
    var neighborhood: String?

    /// A forecast for one input, or nil where the forecaster has none.
    typealias Predictor = (ModelInput) -> Double?

    func print(target: ForecastTarget, horizon: Int, models: [(String, any ForecastModel)]) {
        print(
            target: target, horizon: horizon,
            predictors: models.map { name, model in (name, { model.predict($0, target: target, horizonMinutes: horizon) }) })
    }

    func print(target: ForecastTarget, horizon: Int, predictors models: [(String, Predictor)]) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var hours = Array(repeating: Array(repeating: ErrorAccumulator(), count: models.count), count: 24)
        var jammed = Array(repeating: ErrorAccumulator(), count: models.count)
        var segmentMeans: [String: (sum: Double, count: Int)] = [:]
        for row in data.rows where row.timestamp < period.lowerBound {
            if let speed = row.actualSpeedKmh { segmentMeans[row.segmentID, default: (0, 0)].sum += speed }
            segmentMeans[row.segmentID, default: (0, 0)].count += row.actualSpeedKmh == nil ? 0 : 1
        }
        for example in data.examples(in: period, target: target, horizonMinutes: horizon) {
            let input = data.input(example.row)
            if let neighborhood, input.neighborhood != neighborhood { continue }
            let targetTime = input.issueTime + EpochMillis(horizon) * 60_000
            let hour = calendar.component(.hour, from: Date(timeIntervalSince1970: Double(targetTime) / 1000))
            let mean = segmentMeans[input.segmentID].map { $0.sum / Double(max($0.count, 1)) }
            let isJammed = input.lastSpeedKmh.flatMap { speed in mean.map { speed < 0.5 * $0 } } ?? false
            for (index, (_, predict)) in models.enumerated() {
                guard let predicted = predict(input) else { continue }
                hours[hour][index].add(predicted: predicted, actual: example.actual)
                if isJammed { jammed[index].add(predicted: predicted, actual: example.actual) }
            }
        }
        let names = models.map(\.0).joined(separator: " / ")
        let scope = neighborhood.map { " in \($0)" } ?? ""
        Swift.print("\(target.rawValue) h\(horizon) MAE\(scope) by local hour of the target time (\(names)):")
        var line: [String] = []
        for hour in 0..<24 where hours[hour][0].count > 0 {
            line.append(String(format: "%02d ", hour) + hours[hour].map { $0.mae.map(Self.fmt) ?? "-" }.joined(separator: "/"))
            if line.count == 4 {
                Swift.print("  " + line.joined(separator: "   "))
                line = []
            }
        }
        if !line.isEmpty { Swift.print("  " + line.joined(separator: "   ")) }
        Swift.print(
            "  jammed rows (\(jammed[0].count), last speed under half the segment mean): "
                + jammed.map { $0.mae.map(Self.fmt) ?? "-" }.joined(separator: " / "))
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}
