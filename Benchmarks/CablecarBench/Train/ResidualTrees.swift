import CablecarDomain
import CablecarFeatures
import CablecarForecasting
import CablecarNumerics
import CablecarSimulation
import Foundation

/// Whether a second model family earns its place: boosted trees (`BoostedTrees`) fitted on the
/// ridge's residuals per target and horizon, pooled over neighborhoods. The ridge and the
/// baselines were fitted before `split.train`, so every residual the trees see is out of sample
/// (on the ridge's own fitting days the average holds the label itself, and trees learn to trust
/// it); the number of trees is chosen on `split.validation` (none is a choice) and scored on
/// `split.test` against the ridge alone. Inputs: the snapshot's features (missing stays missing),
/// the last values, the ridge's, the average's and persistence's forecasts, the local hour of the
/// target time, the weekend, and the neighborhood.
struct ResidualTrees {
    var data: TrainingData
    var split: TimeSplit
    var zone: TimeZone
    var ridge: any ForecastModel
    var average: any ForecastModel
    var persistence: any ForecastModel
    var parameters: BoostedTrees.Parameters
    var maximumTrainingRows = 150_000

    struct Outcome {
        var trees: Int
        var ridgeMAE: Double
        var combinedMAE: Double
        var validationRidgeMAE: Double
        var validationCombinedMAE: Double
        var averageMAE: Double
        var floorMAE: Double
        var seconds: Double

        func share(_ mae: Double) -> Double { 100 * (averageMAE - mae) / (averageMAE - floorMAE) }
    }

    func evaluate(
        target: ForecastTarget, horizon: Int, truth: [NoisyObservations.TruthKey: (speed: Double?, flow: Double)]
    ) throws -> Outcome? {
        let clock = Date()
        let neighborhoods = Dictionary(uniqueKeysWithValues: data.neighborhoods.enumerated().map { ($1, Double($0)) })
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var averageErrors = ErrorAccumulator()
        var floorErrors = ErrorAccumulator()
        func rows(_ period: Range<EpochMillis>, every: Int, scoring: Bool = false) -> (x: [Double], ridge: [Double], actual: [Double]) {
            var x: [Double] = []
            var ridgeForecasts: [Double] = []
            var actual: [Double] = []
            for (index, example) in data.examples(in: period, target: target, horizonMinutes: horizon).enumerated()
            where index % every == 0 {
                let input = data.input(example.row)
                guard let r = ridge.predict(input, target: target, horizonMinutes: horizon) else { continue }
                let a = average.predict(input, target: target, horizonMinutes: horizon) ?? .nan
                let p = persistence.predict(input, target: target, horizonMinutes: horizon) ?? .nan
                let targetTime = Date(timeIntervalSince1970: Double(input.issueTime + EpochMillis(horizon) * 60_000) / 1000)
                let parts = calendar.dateComponents([.hour, .minute, .weekday], from: targetTime)
                let hour = Double(parts.hour ?? 0) + Double(parts.minute ?? 0) / 60
                let weekend = parts.weekday == 1 || parts.weekday == 7 ? 1.0 : 0.0
                x += input.features.map { $0 ?? .nan }
                x += [
                    input.lastSpeedKmh ?? .nan, input.lastFlowVehiclesPerHour ?? .nan, r, a, p, r - a, r - p, hour, weekend,
                    neighborhoods[input.neighborhood] ?? .nan,
                ]
                ridgeForecasts.append(r)
                actual.append(example.actual)
                if scoring {
                    averageErrors.add(predicted: a, actual: example.actual)
                    let key = NoisyObservations.TruthKey(
                        segment: input.segmentID, time: input.issueTime + EpochMillis(horizon) * 60_000)
                    if let state = truth[key], let value = target == .speed ? state.speed : state.flow {
                        floorErrors.add(predicted: value, actual: example.actual)
                    }
                }
            }
            return (x, ridgeForecasts, actual)
        }
        let trainCount = data.examples(in: split.train, target: target, horizonMinutes: horizon).count
        let train = rows(split.train, every: max(1, trainCount / maximumTrainingRows))
        let validation = rows(split.validation, every: 1)
        let test = rows(split.test, every: 1, scoring: true)
        guard !train.actual.isEmpty, !validation.actual.isEmpty, !test.actual.isEmpty else { return nil }
        let columns = train.x.count / train.actual.count
        let residual = zip(train.actual, train.ridge).map { $0 - $1 }
        func mae(_ set: (x: [Double], ridge: [Double], actual: [Double]), _ model: BoostedTrees?, trees: Int) -> Double {
            var sum = 0.0
            set.x.withUnsafeBufferPointer { xs in
                for i in set.actual.indices {
                    let correction =
                        model.map { $0.predict(UnsafeBufferPointer(rebasing: xs[(i * columns)..<((i + 1) * columns)]), trees: trees) } ?? 0
                    sum += abs(set.ridge[i] + correction - set.actual[i])
                }
            }
            return sum / Double(set.actual.count)
        }
        let model = try BoostedTrees.fit(x: train.x, y: residual, columns: columns, parameters: parameters)
        let ridgeValidation = mae(validation, nil, trees: 0)
        var best = (trees: 0, mae: ridgeValidation)
        for count in stride(from: 10, through: model.trees.count, by: 10) {
            let value = mae(validation, model, trees: count)
            if value < best.mae { best = (count, value) }
        }
        return Outcome(
            trees: best.trees, ridgeMAE: mae(test, nil, trees: 0), combinedMAE: mae(test, model, trees: best.trees),
            validationRidgeMAE: ridgeValidation, validationCombinedMAE: best.mae, averageMAE: averageErrors.mae ?? .nan,
            floorMAE: floorErrors.mae ?? .nan, seconds: Date().timeIntervalSince(clock))
    }

    /// Simulates `days` + 7 days: the trainer's recipe on the first `days`, then trees on the
    /// residuals of the next three days, chosen on the fourth, scored on the last three.
    static func run(
        days: Int, start: LocalDate, seed: UInt64, speedNoise: Double, flowNoise: Double, trees: Int
    ) async throws {
        let city = try CityDefinition.bundledDefault()
        let configuration = SimulationConfiguration(city: city, start: start, days: days + 7, seed: seed)
        let observed = NoisyObservations(
            simulated: try TruthObservations.simulate(configuration), city: city, speedNoise: speedNoise, flowNoise: flowNoise, seed: seed)
        let source = try InProcessSnapshotSource(city: city, traffic: observed.traffic, context: observed.context)
        let first = observed.traffic.map(\.eventTime).min() ?? 0
        let last = observed.traffic.map(\.eventTime).max() ?? 0
        let snapshot = try await source.snapshot(SnapshotRequest(start: first, end: last))
        let day: EpochMillis = 86_400_000
        let cut = first + EpochMillis(days) * day
        var fitting = snapshot
        fitting.rows.removeAll { $0.timestamp >= cut }
        let parameters = ModelParameters(timeZone: city.timeZone)
        let fitted = try FittedModels.fit(snapshot: fitting, parameters: parameters)
        let judgement = CandidateJudgement.judge(fitted, production: nil, parameters: parameters)
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = TimeSplit(train: cut..<(cut + 3 * day), validation: (cut + 3 * day)..<(cut + 4 * day), test: (cut + 4 * day)..<last)
        let experiment = ResidualTrees(
            data: data, split: split, zone: TimeZone(identifier: city.timeZone) ?? .gmt, ridge: judgement.model,
            average: fitted.average, persistence: fitted.persistence, parameters: BoostedTrees.Parameters(trees: trees))
        print(
            "ridge fitted on \(days) days (\(judgement.verdict.summary)); trees on the residuals of the next 3, chosen on 1, "
                + "scored on the last 3 (test MAE: ridge -> ridge + trees; share of the reducible error against the average):")
        for target in parameters.targets {
            for horizon in parameters.horizons {
                guard let outcome = try experiment.evaluate(target: target, horizon: horizon, truth: observed.truth) else { continue }
                let maes = "\(fmt(outcome.ridgeMAE)) -> \(fmt(outcome.combinedMAE)) with \(outcome.trees) trees"
                let shares = "share \(fmt(outcome.share(outcome.ridgeMAE))) -> \(fmt(outcome.share(outcome.combinedMAE))) %"
                let context = "average \(fmt(outcome.averageMAE)), floor \(fmt(outcome.floorMAE))"
                let validation = "validation \(fmt(outcome.validationRidgeMAE)) -> \(fmt(outcome.validationCombinedMAE))"
                print("  \(target.rawValue) h\(horizon): \(maes), \(shares) (\(context); \(validation); \(fmt(outcome.seconds)) s)")
            }
        }
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}
