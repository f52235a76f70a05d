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
    /// Forks of the true state per issue time for the best possible forecast (0: not computed).
    var oracleForks = 0
    var oracleEveryMinutes = 15
    var oracleKnowsDayMood = true
    /// Hourly errors per test day as well.
    var byDay = false
    /// Where to export the ridge's design rows (nil: not exported).
    var designExport: URL?
    /// Boosted trees fitted on the ridge's design rows (nil: not fitted), and how many rows at most.
    var designTrees: BoostedTrees.Parameters?
    var designTreeRows = 200_000
    /// The trainer's trees per target and horizon (`ModelParameters.deviationTrees`).
    var trainerTrees = ModelParameters().treeCount

    func run() async throws {
        let total = Date()
        let city = try CityDefinition.bundledDefault()
        let configuration = SimulationConfiguration(city: city, start: start, days: days, seed: seed)
        let simulated = try TruthObservations.simulate(configuration)
        let observed = NoisyObservations(simulated: simulated, city: city, speedNoise: speedNoise, flowNoise: flowNoise, seed: seed)
        let source = try InProcessSnapshotSource(city: city, traffic: observed.traffic, context: observed.context)
        let first = observed.traffic.map(\.eventTime).min() ?? 0
        let last = observed.traffic.map(\.eventTime).max() ?? 0
        let snapshot = try await source.snapshot(SnapshotRequest(start: first, end: last))
        let parameters = ModelParameters(timeZone: city.timeZone, deviationTrees: trainerTrees)
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
                + "judged \(fmt(Date().timeIntervalSince(clock))) s; test \(describe(fitted.split.test, zone)); "
                + "OpenBLAS kernels \(BLASKernel.coreName)")
        print("gates: \(judgement.verdict.summary)")
        for (key, trial) in fitted.ridge.treeTrials.sorted(by: { $0.key < $1.key }) {
            let mixture = trial.weight.map { " (\(fmt($0 * 100)) % trees: \(fmt(trial.servedValidationMAE ?? .nan)))" } ?? ""
            print(
                "trees \(key): validation MAE \(fmt(trial.validationMAE))\(mixture) against the ridge's "
                    + "\(fmt(trial.ridgeValidationMAE)) (\(trial.trainingRows) training, \(trial.validationRows) validation rows): "
                    + (trial.served ? "served" : "not served"))
        }
        print("artifact: \(try judgement.model.artifact().count) bytes")
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
        if designExport != nil || designTrees != nil {
            let rows = try DesignRows(
                data: fitted.data, split: fitted.split, parameters: parameters, ridge: judgement.model, average: fitted.average,
                truth: observed.truth)
            if let designExport { try rows.write(to: designExport) }
            if let designTrees { try rows.fitTrees(parameters: designTrees, maximumRows: designTreeRows) }
        }
        let models: [(String, any ForecastModel)] = [
            ("candidate", judgement.model), ("average", fitted.average), ("persistence", fitted.persistence),
        ]
        var oracle: OracleForecasts?
        if oracleForks > 0 {
            clock = Date()
            let forecasts = try OracleForecasts.simulate(
                configuration, issueTimes: fitted.split.test, everyMinutes: oracleEveryMinutes, horizons: parameters.horizons,
                forks: oracleForks, knowingDayMood: oracleKnowsDayMood)
            forecasts.print(
                data: fitted.data, period: fitted.split.test, targets: parameters.targets, horizons: parameters.horizons,
                models: models, reference: "average", truth: observed.truth)
            print(
                "  \(oracleForks) forks every \(oracleEveryMinutes) minutes\(oracleKnowsDayMood ? "" : ", the day's mood drawn afresh"), "
                    + "\(fmt(Date().timeIntervalSince(clock))) s")
            oracle = forecasts
        }
        let hourly = HourlyErrors(data: fitted.data, period: fitted.split.test, zone: zone)
        for target in parameters.targets {
            for horizon in oracle == nil ? [30] : [30, 60] {
                var predictors: [(String, HourlyErrors.Predictor)] = models.map { name, model in
                    (name, { model.predict($0, target: target, horizonMinutes: horizon) })
                }
                if let oracle { predictors.append(("best possible", oracle.predictor(target: target, horizon: horizon))) }
                hourly.print(target: target, horizon: horizon, predictors: predictors)
            }
        }
        if byDay {
            // Whole local days would need the zone's midnights; the test period's own 24-hour
            // steps are what a reader compares against the period's table above.
            var dayStart = fitted.split.test.lowerBound
            while dayStart < fitted.split.test.upperBound {
                let period = dayStart..<min(dayStart + 86_400_000, fitted.split.test.upperBound)
                print("test day \(describe(period, zone)):")
                for target in parameters.targets {
                    HourlyErrors(data: fitted.data, period: period, zone: zone).print(target: target, horizon: 30, models: models)
                }
                dayStart = period.upperBound
            }
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

    private func describe(_ range: Range<EpochMillis>, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = zone
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm"
        func text(_ t: EpochMillis) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(t) / 1000)) }
        return "\(text(range.lowerBound)) ..< \(text(range.upperBound)) (\(zone.identifier))"
    }

    private func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}
