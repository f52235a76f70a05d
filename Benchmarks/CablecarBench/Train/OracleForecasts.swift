import CablecarDomain
import CablecarForecasting
import CablecarNumerics
import CablecarSimulation
import Foundation

/// The best forecast any model could make of the simulated city, to tell a target that the
/// model misses from one that no model can reach. At an issue time the simulator's complete
/// true state (every queue, the day's demand mood, active collisions and when they clear, the
/// rain episode, the day's venue crowds) is forked `forks` times, each fork continuing with fresh
/// random draws; the mean of the forks' truth for a target interval is the expected future given
/// everything knowable at the issue time. That is more than a forecaster knows (no sensor noise,
/// the simulator's own rules), so the error it leaves is out of every model's reach: what the
/// noise floor (which also knows the future's random draws) does not count. Without the day's
/// demand mood (`knowingDayMood` false) each fork draws its own: what knowing how busy a
/// neighborhood is today is worth.
struct OracleForecasts {
    struct Key: Hashable {
        var segment: String
        var issueTime: EpochMillis
        var horizon: Int
    }

    private(set) var speed: [Key: Double] = [:]
    private(set) var flow: [Key: Double] = [:]

    /// Forecasts for the issue times in `period` on a grid of `everyMinutes`.
    static func simulate(
        _ configuration: SimulationConfiguration, issueTimes period: Range<EpochMillis>, everyMinutes: Int, horizons: [Int],
        forks: Int, knowingDayMood: Bool = true
    ) throws -> OracleForecasts {
        let engine = try SimulationEngine(configuration: configuration, emitsFeeds: false)
        let every = EpochMillis(max(5, everyMinutes)) * 60_000
        var result = OracleForecasts()
        while engine.now < period.upperBound {
            let issue = engine.now
            if period.contains(issue), (issue - period.lowerBound) % every == 0 {
                try result.add(
                    issue: issue, from: engine, horizons: horizons, forks: forks, seed: configuration.seed, knowingDayMood: knowingDayMood)
            }
            let more = try engine.step()
            _ = engine.takeTruth()
            if !more { break }
        }
        return result
    }

    private mutating func add(
        issue: EpochMillis, from engine: SimulationEngine, horizons: [Int], forks: Int, seed: UInt64, knowingDayMood: Bool
    ) throws {
        let horizonOfTarget = Dictionary(uniqueKeysWithValues: horizons.map { (issue + EpochMillis($0) * 60_000, $0) })
        let steps = (horizons.max() ?? 0) + Int(Interval.lengthMillis / 60_000)
        var sums: [Key: (speed: Double, flow: Double, count: Int)] = [:]
        for fork in 0..<forks {
            let futureSeed = seed ^ (UInt64(issue) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(fork + 1) &* 0xBF58_476D_1CE4_E5B9)
            let future = engine.fork(futureSeed: futureSeed, redrawingDayMood: !knowingDayMood)
            for _ in 0..<steps {
                let more = try future.step()
                for row in future.takeTruth() {
                    guard let horizon = horizonOfTarget[row.eventTime] else { continue }
                    let key = Key(segment: row.segmentID, issueTime: issue, horizon: horizon)
                    let previous = sums[key] ?? (0, 0, 0)
                    sums[key] = (previous.speed + row.speedKmh, previous.flow + row.flowVehiclesPerHour, previous.count + 1)
                }
                if !more { break }
            }
        }
        for (key, sum) in sums where sum.count == forks {
            speed[key] = sum.speed / Double(forks)
            flow[key] = sum.flow / Double(forks)
        }
    }

    func forecast(_ key: Key, target: ForecastTarget) -> Double? {
        target == .speed ? speed[key] : flow[key]
    }

    func predictor(target: ForecastTarget, horizon: Int) -> HourlyErrors.Predictor {
        { forecast(Key(segment: $0.segmentID, issueTime: $0.issueTime, horizon: horizon), target: target) }
    }

    /// On the test examples the oracle forecast (every `everyMinutes`): MAE of the oracle, the
    /// models and the noise floor, and the share of the reducible error each removes against the
    /// model named `reference` (the historical average, as in issue 16's targets).
    func print(
        data: TrainingData, period: Range<EpochMillis>, targets: [ForecastTarget], horizons: [Int],
        models: [(String, any ForecastModel)], reference: String, truth: [NoisyObservations.TruthKey: (speed: Double?, flow: Double)]
    ) {
        Swift.print("the best possible forecast (mean of forks of the true state), on the rows it forecast:")
        Swift.print("  MAE: oracle / \(models.map(\.0).joined(separator: " / ")) / noise floor; share of the reducible error removed")
        for target in targets {
            for horizon in horizons {
                var oracle = ErrorAccumulator()
                var floor = ErrorAccumulator()
                var errors = Array(repeating: ErrorAccumulator(), count: models.count)
                let bestPossible = predictor(target: target, horizon: horizon)
                for example in data.examples(in: period, target: target, horizonMinutes: horizon) {
                    let input = data.input(example.row)
                    guard let best = bestPossible(input) else { continue }
                    let targetTime = input.issueTime + EpochMillis(horizon) * 60_000
                    guard let state = truth[NoisyObservations.TruthKey(segment: input.segmentID, time: targetTime)],
                        let trueValue = target == .speed ? state.speed : state.flow
                    else { continue }
                    let predictions = models.map { $0.1.predict(input, target: target, horizonMinutes: horizon) }
                    guard predictions.allSatisfy({ $0 != nil }) else { continue }
                    oracle.add(predicted: best, actual: example.actual)
                    floor.add(predicted: trueValue, actual: example.actual)
                    for (index, predicted) in predictions.enumerated() {
                        errors[index].add(predicted: predicted ?? 0, actual: example.actual)
                    }
                }
                guard let floorMAE = floor.mae, let oracleMAE = oracle.mae,
                    let averageMAE = models.firstIndex(where: { $0.0 == reference }).flatMap({ errors[$0].mae })
                else { continue }
                let reducible = averageMAE - floorMAE
                func share(_ mae: Double?) -> String {
                    guard let mae, reducible > 0 else { return "-" }
                    return String(format: "%.0f %%", 100 * (averageMAE - mae) / reducible)
                }
                let maes = [oracleMAE] + errors.map { $0.mae ?? .nan } + [floorMAE]
                Swift.print(
                    "  \(target.rawValue) h\(horizon) (\(oracle.count) rows): \(maes.map(Self.fmt).joined(separator: " / ")); "
                        + "oracle \(share(oracleMAE)), \(models.map { "\($0.0)" }.joined(separator: ", ")) "
                        + errors.map { share($0.mae) }.joined(separator: ", "))
            }
        }
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.2f", value) }
}
