import CablecarDomain
import CablecarForecasting
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Testing

/// The model on a simulated month of the whole city: it must earn its place against both
/// baselines at every horizon, and train reproducibly.
@Suite(.serialized) struct SimulatedMonthTests {
    @Test func ridgeBeatsBothBaselinesAtEveryHorizonOnASimulatedMonth() async throws {
        let snapshot = try await SimulatedCity.snapshot()
        try await onItsOwnThread { try Self.ridgeBeatsBothBaselines(on: snapshot) }
    }

    static func ridgeBeatsBothBaselines(on snapshot: FeatureSnapshot) throws {
        // The simulated city's clock, as the trainer is configured for it.
        let parameters = ModelParameters(timeZone: try CityDefinition.bundledDefault().timeZone)
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        #expect(data.lastObservedSource.contains("speed_lag_1"), "persistence reads the feature store's last speed")
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: parameters)
        let average = try HistoricalAverageModel.fit(data, split: split, parameters: parameters)
        let persistence = try PersistenceModel.fit(data, split: split, parameters: parameters)
        let report = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [(.candidate, ridge), (.historicalAverage, average), (.persistence, persistence)],
            targets: parameters.targets, horizons: parameters.horizons)
        print(EvaluationTable.render(report, verdict: PromotionGate.evaluate(report)))
        #expect(report.neighborhoods.count == 12)
        for target in parameters.targets {
            for horizon in parameters.horizons {
                let candidate = try #require(report.errors(.candidate, target, horizon)?.mae)
                let ha = try #require(report.errors(.historicalAverage, target, horizon)?.mae)
                let last = try #require(report.errors(.persistence, target, horizon)?.mae)
                let best = min(ha, last)
                print(
                    "\(target.rawValue) h\(horizon): ridge \(candidate), historical average \(ha), persistence \(last); "
                        + "margin vs the better baseline \(String(format: "%.1f", 100 * (1 - candidate / best)))%")
                // At least 1 % better than the better of the two baselines (the simulation is seeded:
                // these figures are deterministic, not noisy).
                #expect(candidate < 0.99 * best, "\(target.rawValue) h\(horizon)")
            }
        }
        #expect(PromotionGate.evaluate(report).passed)
    }

    @Test func twoTrainingsOnTheSameSnapshotGiveTheSameArtifactHash() async throws {
        // A week is enough to show determinism; the month is for the accuracy test above.
        let snapshot = try await SimulatedCity.snapshot(days: 7)
        let again = try await SimulatedCity.snapshot(days: 7)
        #expect(snapshot.fingerprint == again.fingerprint)
        let parameters = ModelParameters(targets: [.speed])
        func train(_ snapshot: FeatureSnapshot) throws -> String {
            let data = try TrainingData(snapshot: snapshot, parameters: parameters)
            let split = try TimeSplit(
                start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
                validationFraction: parameters.validationFraction)
            return ArtifactCodec.sha256Hex(try RidgeForecastModel.fit(data, split: split, parameters: parameters).artifact())
        }
        let (first, second) = try await onItsOwnThread { (try train(snapshot), try train(again)) }
        print("artifact sha256 \(first)")
        #expect(first == second)
    }
}
