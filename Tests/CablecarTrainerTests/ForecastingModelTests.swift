import CablecarDomain
import CablecarForecasting
import Foundation
import Testing

@Suite struct ForecastingModelTests {
    static let snapshot = SyntheticSnapshot.make()

    func fitAll(_ snapshot: FeatureSnapshot, parameters: ModelParameters = ModelParameters()) throws
        -> (TrainingData, TimeSplit, RidgeForecastModel, HistoricalAverageModel, PersistenceModel)
    {
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (
            data, split, try RidgeForecastModel.fit(data, split: split, parameters: parameters),
            try HistoricalAverageModel.fit(data, split: split, parameters: parameters),
            try PersistenceModel.fit(data, split: split, parameters: parameters)
        )
    }

    @Test func splitIsChronologicalOnWholeDays() throws {
        let data = try TrainingData(snapshot: Self.snapshot)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        #expect(split.train.upperBound == split.validation.lowerBound)
        #expect(split.validation.upperBound == split.test.lowerBound)
        #expect(split.train.lowerBound == data.start && split.test.upperBound == data.end)
        #expect((split.validation.lowerBound - data.start) % 86_400_000 == 0)
        // Examples never reach across a period boundary.
        for example in data.examples(in: split.train, target: .speed, horizonMinutes: 60) {
            #expect(data.rows[example.labelRow].timestamp < split.train.upperBound)
        }
    }

    @Test func ridgeBeatsBothBaselinesOnHeldOutTime() throws {
        let (data, split, ridge, average, persistence) = try fitAll(Self.snapshot)
        let report = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [(.candidate, ridge), (.historicalAverage, average), (.persistence, persistence)],
            targets: [.speed, .flow], horizons: [15, 30, 60])
        print(EvaluationTable.render(report))
        for target in [ForecastTarget.speed, .flow] {
            for horizon in [15, 30, 60] {
                let candidate = try #require(report.errors(.candidate, target, horizon)?.mae)
                let ha = try #require(report.errors(.historicalAverage, target, horizon)?.mae)
                let last = try #require(report.errors(.persistence, target, horizon)?.mae)
                #expect(candidate < ha * 0.98, "\(target) h\(horizon): ridge \(candidate) vs HA \(ha)")
                #expect(candidate < last * 0.98, "\(target) h\(horizon): ridge \(candidate) vs persistence \(last)")
            }
        }
        // Penalties come from the grid, chosen per (target, horizon, neighborhood).
        #expect(ridge.selections.count == 2 * 3 * 3)
        #expect(ridge.selections.values.allSatisfy { ModelParameters().penaltyGrid.contains($0.penalty) })
    }

    @Test func sameDataAndParametersGiveTheSameArtifactBytes() throws {
        let first = try fitAll(Self.snapshot).2.artifact()
        let second = try fitAll(SyntheticSnapshot.make()).2.artifact()
        #expect(ArtifactCodec.sha256Hex(first) == ArtifactCodec.sha256Hex(second))
        let other = try fitAll(SyntheticSnapshot.make(seed: 8)).2.artifact()
        #expect(ArtifactCodec.sha256Hex(first) != ArtifactCodec.sha256Hex(other))
    }

    @Test func artifactsRoundTripToIdenticalPredictions() throws {
        let (data, split, ridge, average, persistence) = try fitAll(Self.snapshot)
        let ridgeBack = try RidgeForecastModel.load(artifact: ridge.artifact())
        let averageBack = try HistoricalAverageModel.load(artifact: average.artifact())
        let persistenceBack = try PersistenceModel.load(artifact: persistence.artifact())
        #expect(try ridgeBack.artifact() == ridge.artifact())
        let examples = data.examples(in: split.test, target: .speed, horizonMinutes: 30).prefix(200)
        for example in examples {
            let input = data.input(example.row)
            #expect(ridgeBack.predict(input, target: .speed, horizonMinutes: 30) == ridge.predict(input, target: .speed, horizonMinutes: 30))
            #expect(averageBack.predict(input, target: .flow, horizonMinutes: 30) == average.predict(input, target: .flow, horizonMinutes: 30))
            #expect(persistenceBack.predict(input, target: .speed, horizonMinutes: 30) == persistence.predict(input, target: .speed, horizonMinutes: 30))
        }
        #expect(try ArtifactCodec.kind(of: ridge.artifact()) == "ridge")
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: average.artifact()) }
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: Array("not json".utf8)) }
    }

    @Test func missingFeaturesAreImputedAndUnknownSegmentsStillGetAForecast() throws {
        let (data, _, ridge, _, persistence) = try fitAll(Self.snapshot)
        var input = data.input(500)
        input.features = [nil, nil, nil]
        input.lastSpeedKmh = nil
        let imputed = try #require(ridge.predict(input, target: .speed, horizonMinutes: 15))
        #expect(imputed.isFinite && imputed > 10 && imputed < 90)
        input.segmentID = "unknown"
        input.neighborhood = "Nowhere"
        #expect(ridge.predict(input, target: .speed, horizonMinutes: 15)?.isFinite == true)
        #expect(persistence.predict(input, target: .speed, horizonMinutes: 15)?.isFinite == true)
    }

    @Test func invalidParametersAndSnapshotsAreRejected() throws {
        var parameters = ModelParameters()
        parameters.horizons = [7]
        #expect(throws: ForecastingError.self) { try parameters.validate() }
        parameters = ModelParameters(penaltyGrid: [])
        #expect(throws: ForecastingError.self) { try parameters.validate() }
        var snapshot = Self.snapshot
        snapshot.rows[3].values = [1]
        #expect(throws: ForecastingError.self) { try TrainingData(snapshot: snapshot) }
        snapshot.rows = []
        #expect(throws: ForecastingError.self) { try TrainingData(snapshot: snapshot) }
    }
}
