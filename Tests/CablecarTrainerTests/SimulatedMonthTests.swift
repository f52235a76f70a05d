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

    /// A retraining's window after a week: nine days from a Monday, so the validation period is a
    /// Sunday and the test a Monday and Tuesday. The loss chosen on that Sunday alone (absolute
    /// error, for its flat traffic) fitted the median row and missed weekday ramps: flow at 60
    /// minutes scored 78.8 veh/h against the historical average's 64.5, and twice the average's
    /// error in Bayview and Richmond. Chosen on the folds, weekdays weighted as a week has them:
    /// 61.1, and no neighborhood beyond 1.1 times the average.
    @Test func aOneWeekFitFollowsTheWeekdayRampsAtAnHour() async throws {
        let snapshot = try await SimulatedCity.snapshot(days: 9)
        try await onItsOwnThread {
            let parameters = ModelParameters(targets: [.flow], timeZone: try CityDefinition.bundledDefault().timeZone)
            let data = try TrainingData(snapshot: snapshot, parameters: parameters)
            let split = try TimeSplit(
                start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
                validationFraction: parameters.validationFraction)
            let clock = try LocalClock(identifier: try CityDefinition.bundledDefault().timeZone)
            #expect(clock.isWeekend(split.validation.lowerBound) && !clock.isWeekend(split.test.lowerBound))
            let ridge = try RidgeForecastModel.fit(data, split: split, parameters: parameters)
            let average = try HistoricalAverageModel.fit(data, split: split, parameters: parameters)
            let report = ModelEvaluator.evaluate(
                data: data, period: split.test, models: [(.candidate, ridge), (.historicalAverage, average)],
                targets: [.flow], horizons: [60])
            let candidate = try #require(report.errors(.candidate, .flow, 60)?.mae)
            let ha = try #require(report.errors(.historicalAverage, .flow, 60)?.mae)
            print("one-week fit, flow h60: ridge \(candidate), historical average \(ha)")
            for neighborhood in report.neighborhoods {
                let mine = try #require(report.errors(.candidate, .flow, 60, neighborhood: neighborhood)?.mae)
                let theirs = try #require(report.errors(.historicalAverage, .flow, 60, neighborhood: neighborhood)?.mae)
                print("  \(neighborhood): ridge \(mine), historical average \(theirs)")
                #expect(mine < 1.25 * theirs, "\(neighborhood): \(mine) against the average's \(theirs)")
            }
            #expect(candidate < 0.97 * ha)
        }
    }
}
