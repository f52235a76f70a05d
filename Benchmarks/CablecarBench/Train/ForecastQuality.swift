import CablecarDomain
import CablecarFeatures
import CablecarForecasting
import CablecarNumerics
import CablecarSimulation
import Foundation

/// `cablecar-bench forecast-quality`: issue 16's figures on a replay of the bundled city. The
/// trainer's recipe (`FittedModels`, `CandidateJudgement`) on `days` simulated days with sensor
/// noise; on the test period (the last whole days) it prints, per target and horizon, the
/// candidate's MAE against both baselines and the noise floor (truth against the same noisy
/// labels), the share of the reducible error removed, the worst neighborhood against the better
/// baseline, and where the error is: by local hour of the day, and on jammed rows (last observed
/// speed under half the segment's mean), where persistence is the forecaster to beat.
struct ForecastQuality {
    var days: Int
    var speedNoise: Double
    var flowNoise: Double
    var seed: UInt64
    var start: LocalDate

    func run() async throws {
        let total = Date()
        let city = try CityDefinition.bundledDefault()
        let simulated = try TruthObservations.simulate(
            SimulationConfiguration(city: city, start: start, days: days, seed: seed))
        let observed = NoisyObservations(simulated: simulated, speedNoise: speedNoise, flowNoise: flowNoise, seed: seed)
        let source = try InProcessSnapshotSource(city: city, traffic: observed.traffic, context: observed.context)
        let first = observed.traffic.map(\.eventTime).min() ?? 0
        let last = observed.traffic.map(\.eventTime).max() ?? 0
        let snapshot = try await source.snapshot(SnapshotRequest(start: first, end: last))
        let parameters = ModelParameters(timeZone: city.timeZone)
        var clock = Date()
        let fitted = try FittedModels.fit(snapshot: snapshot, parameters: parameters)
        let fitSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        let judgement = CandidateJudgement.judge(fitted, production: nil, parameters: parameters)
        let report = judgement.report
        let floor = noiseFloor(fitted.data, period: fitted.split.test, truth: observed.truth)
        let zone = TimeZone(identifier: city.timeZone) ?? .gmt
        print(
            "\(days) days from \(start), \(fitted.data.rows.count) rows; fit \(fmt(fitSeconds)) s, "
                + "judged \(fmt(Date().timeIntervalSince(clock))) s; test \(describe(fitted.split.test, zone))")
        print("gates: \(judgement.verdict.summary)")
        if !judgement.routes.isEmpty { print("routes: \(judgement.routes.map(\.description).joined(separator: ", "))") }
        print(floor.rendered(report))
        print("test MAE: candidate, historical average, persistence; worst neighborhood against the better baseline")
        for target in parameters.targets {
            for horizon in parameters.horizons {
                let cells = [ModelRole.candidate, .historicalAverage, .persistence].map {
                    report.errors($0, target, horizon)?.mae.map(fmt) ?? "-"
                }
                let worst = PromotionGate.neighborhoodEvidence(report, target: target, horizon: horizon).max { $0.ratio < $1.ratio }
                let worstText = worst.map { "\($0.neighborhood) \(fmt($0.candidate)) vs \($0.baseline.rawValue) \(fmt($0.best))" } ?? "-"
                print("  \(target.rawValue) h\(horizon): \(cells.joined(separator: ", ")); worst \(worstText)")
            }
        }
        let models: [(String, any ForecastModel)] = [
            ("candidate", judgement.model), ("average", fitted.average), ("persistence", fitted.persistence),
        ]
        for target in parameters.targets {
            byHour(fitted.data, period: fitted.split.test, target: target, horizon: 30, models: models, zone: zone)
        }
        print("total \(fmt(Date().timeIntervalSince(total))) s")
    }

    /// Truth against the noisy labels of the test period's rows.
    private func noiseFloor(
        _ data: TrainingData, period: Range<EpochMillis>, truth: [NoisyObservations.TruthKey: (speed: Double?, flow: Double)]
    ) -> NoiseFloor {
        var sums: [ForecastTarget: Double] = [:]
        var counts: [ForecastTarget: Int] = [:]
        for row in data.rows where period.contains(row.timestamp) {
            guard let state = truth[NoisyObservations.TruthKey(segment: row.segmentID, time: row.timestamp)] else { continue }
            if let label = row.actualSpeedKmh, let speed = state.speed {
                sums[.speed, default: 0] += abs(label - speed)
                counts[.speed, default: 0] += 1
            }
            if let label = row.actualFlowVehiclesPerHour {
                sums[.flow, default: 0] += abs(label - state.flow)
                counts[.flow, default: 0] += 1
            }
        }
        return NoiseFloor(
            mae: counts.reduce(into: [:]) { result, entry in result[entry.key] = (sums[entry.key] ?? 0) / Double(entry.value) },
            pairs: counts)
    }

    /// MAE per local hour of the target time, and on jammed rows.
    private func byHour(
        _ data: TrainingData, period: Range<EpochMillis>, target: ForecastTarget, horizon: Int,
        models: [(String, any ForecastModel)], zone: TimeZone
    ) {
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
            let targetTime = input.issueTime + EpochMillis(horizon) * 60_000
            let hour = calendar.component(.hour, from: Date(timeIntervalSince1970: Double(targetTime) / 1000))
            let mean = segmentMeans[input.segmentID].map { $0.sum / Double(max($0.count, 1)) }
            let isJammed = input.lastSpeedKmh.flatMap { speed in mean.map { speed < 0.5 * $0 } } ?? false
            for (index, (_, model)) in models.enumerated() {
                guard let predicted = model.predict(input, target: target, horizonMinutes: horizon) else { continue }
                hours[hour][index].add(predicted: predicted, actual: example.actual)
                if isJammed { jammed[index].add(predicted: predicted, actual: example.actual) }
            }
        }
        let names = models.map(\.0).joined(separator: " / ")
        print("\(target.rawValue) h\(horizon) MAE by local hour of the target time (\(names)):")
        var line: [String] = []
        for hour in 0..<24 where hours[hour][0].count > 0 {
            line.append(String(format: "%02d ", hour) + hours[hour].map { $0.mae.map(fmt) ?? "-" }.joined(separator: "/"))
            if line.count == 4 {
                print("  " + line.joined(separator: "   "))
                line = []
            }
        }
        if !line.isEmpty { print("  " + line.joined(separator: "   ")) }
        print(
            "  jammed rows (\(jammed[0].count), last speed under half the segment mean): "
                + jammed.map { $0.mae.map(fmt) ?? "-" }.joined(separator: " / "))
    }

    private func describe(_ range: Range<EpochMillis>, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = zone
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm"
        func text(_ t: EpochMillis) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(t) / 1000)) }
        return "\(text(range.lowerBound)) ..< \(text(range.upperBound)) (\(zone.identifier))"
    }

    private func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}
