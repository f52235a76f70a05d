import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecasting
@testable import CablecarNumerics

/// The second model family: trees per target and horizon on the ridge's design rows, tried when
/// the training period holds a week, served where they validate better, carried by the artifact.
@Suite struct DeviationTreeTests {
    static let threeWeeks = SyntheticSnapshot.make()

    func fit(_ snapshot: FeatureSnapshot, parameters: ModelParameters = ModelParameters()) throws
        -> (TrainingData, TimeSplit, RidgeForecastModel)
    {
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (data, split, try RidgeForecastModel.fit(data, split: split, parameters: parameters))
    }

    @Test func treesAreTriedForEveryTargetUpToAnHourOnlyWithAWeekOfTraining() throws {
        let (data, split, ridge) = try fit(Self.threeWeeks)
        #expect(DeviationTreeTrainer.offered(split: split, dataStart: data.start, trees: 150))
        // A window reaching back before the data: only the days with data count.
        #expect(!DeviationTreeTrainer.offered(split: split, dataStart: split.train.upperBound - 6 * 86_400_000, trees: 150))
        #expect(
            Set(ridge.treeTrials.keys)
                == Set(["speed_kmh|15", "speed_kmh|30", "speed_kmh|60", "flow_veh_h|15", "flow_veh_h|30", "flow_veh_h|60"]))
        for (key, trial) in ridge.treeTrials {
            #expect(trial.trainingRows >= DeviationTreeTrainer.minimumValidationRows, "\(key)")
            #expect(trial.validationRows >= DeviationTreeTrainer.minimumValidationRows, "\(key)")
            let served = try #require(trial.servedValidationMAE, "\(key)")
            let share = try #require(trial.weight, "\(key)")
            #expect(trial.served == (served < trial.ridgeValidationMAE * (1 - DeviationTreeTrainer.margin * share)), "\(key)")
            #expect(served <= trial.validationMAE, "\(key)")
            #expect(trial.served == (ridge.trees[key] != nil), "\(key)")
        }

        // Eight days split into six of training: no week, no trees.
        let (shortData, shortSplit, short) = try fit(SyntheticSnapshot.make(days: 8))
        #expect(!DeviationTreeTrainer.offered(split: shortSplit, dataStart: shortData.start, trees: 150))
        #expect(short.treeTrials.isEmpty && short.trees.isEmpty)

        // Switched off.
        let (_, _, ridgeOnly) = try fit(Self.threeWeeks, parameters: ModelParameters(deviationTrees: 0))
        #expect(ridgeOnly.treeTrials.isEmpty)
        #expect(throws: ForecastingError.self) { try ModelParameters(deviationTrees: 2_001).validate() }
    }

    /// Rows whose label is a step in the first column plus noise the trees cannot learn (the same
    /// column value comes with different noise), and a ridge whose validation error on each row is
    /// `ridgeError(r, treeError)`, given the error of the trees `DeviationTreeTrainer` fits.
    static func stepSample(ridgeError: (Int, Double) -> Double) throws -> DeviationTreeTrainer.Sample {
        var sample = DeviationTreeTrainer.Sample()
        var validationRows: [Int] = []
        for r in 0..<4_000 {
            let x = Double((r * 7_919) % 1_000) / 1_000
            let y = (x > 0.5 ? 10.0 : -10.0) + Double((r * 104_729) % 13) - 6
            if r < 3_000 {
                sample.trainingX += [x, Double(r % 3)]
                sample.trainingY.append(y)
            }
            if r >= 2_000 {
                sample.validationX += [x, Double(r % 3)]
                sample.validationY.append(y)
                sample.validationWeekend.append(r % 7 >= 5)
                validationRows.append(r)
            }
        }
        let trees = try BoostedTrees.fit(
            x: sample.trainingX, y: sample.trainingY, columns: 2, parameters: DeviationTreeTrainer.parameters(trees: 100))
        for (index, r) in validationRows.enumerated() {
            let row = Array(sample.validationX[(2 * index)..<(2 * index + 2)])
            let treeError = row.withUnsafeBufferPointer { trees.predict($0) } - sample.validationY[index]
            // A residual is the actual minus the forecast: minus the error.
            sample.ridgeValidationResiduals.append(-ridgeError(r, treeError))
        }
        return sample
    }

    @Test func treesAreServedOnlyWhereTheyValidateBetterThanTheRidgeByTheMargin() throws {
        let trainer = DeviationTreeTrainer(designColumns: 1, neighborhoods: ["A", "B", "C"], trees: 100)
        // A ridge erring as the trees do, twice as far: the trees alone are best.
        let beaten = try #require(try trainer.fit(try Self.stepSample { _, treeError in 2 * treeError }))
        #expect(beaten.evidence.served && beaten.trees != nil)
        #expect(beaten.evidence.weight == 1 && beaten.trees?.weight == 1)
        #expect(beaten.evidence.validationMAE > 1 && beaten.evidence.validationMAE < 4)
        #expect(abs(beaten.evidence.ridgeValidationMAE - 2 * beaten.evidence.validationMAE) < 1e-9)
        #expect(beaten.evidence.servedValidationMAE == beaten.evidence.validationMAE)
        #expect(beaten.evidence.trainingRows == 3_000 && beaten.evidence.validationRows == 2_000)

        // A ridge erring as the trees do, a little less: no mixture beats it. Tried, recorded, not
        // served.
        let better = try #require(try trainer.fit(try Self.stepSample { _, treeError in 0.97 * treeError }))
        #expect(!better.evidence.served && better.trees == nil)
        #expect((better.evidence.servedValidationMAE ?? 0) >= better.evidence.ridgeValidationMAE)

        // A ridge as good as the trees but erring the other way: half and half answers, and is
        // served although neither alone is better.
        let opposite = try #require(try trainer.fit(try Self.stepSample { _, treeError in -treeError }))
        #expect(opposite.evidence.weight == 0.5 && opposite.trees?.weight == 0.5 && opposite.evidence.served)
        #expect(abs(opposite.evidence.validationMAE - opposite.evidence.ridgeValidationMAE) < 1e-9)
        #expect((opposite.evidence.servedValidationMAE ?? 1) < 1e-9)

        // Too few rows to tell.
        var thin = try Self.stepSample { _, _ in 5 }
        thin.validationX = Array(thin.validationX.prefix(2 * 500))
        thin.validationY = Array(thin.validationY.prefix(500))
        thin.validationWeekend = Array(thin.validationWeekend.prefix(500))
        thin.ridgeValidationResiduals = Array(thin.ridgeValidationResiduals.prefix(500))
        #expect(try trainer.fit(thin) == nil)
    }

    /// A fit whose cancellation is set, before or while it runs (from another thread), stops with
    /// `CancellationError`.
    @Test func aCancelledFitStops() throws {
        let data = try TrainingData(snapshot: Self.threeWeeks, parameters: ModelParameters())
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        let before = FitCancellation()
        before.cancel()
        #expect(throws: CancellationError.self) {
            try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(), cancellation: before)
        }
        // Cancelled at its tenth check, past the first cells: a delay measured against an
        // uncancelled fit (half its duration) outlived the whole fit when the load fell between
        // the two.
        let during = FitCancellation(cancellingAtCheck: 10)
        #expect(throws: CancellationError.self) {
            try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(), cancellation: during)
        }
        #expect(during.isCancelled)
    }

    /// A model carrying trees answers with the recent level plus the trees' deviation over its
    /// design row and the neighborhood, keeps doing so through its artifact, and a damaged or
    /// misplaced set of trees is refused when read.
    @Test func servedTreesAnswerFromTheDesignRowAndSurviveTheArtifact() throws {
        let (data, split, ridge) = try fit(Self.threeWeeks, parameters: ModelParameters(deviationTrees: 0))
        let columns = ridge.designColumns.count
        let recentColumn = try #require(ridge.designColumns.firstIndex(of: "recent_level"))
        var x: [Double] = []
        var y: [Double] = []
        for r in 0..<2_000 {
            for c in 0...columns { x.append(Double((r * (c + 3)) % 97)) }
            y.append(Double(r % 5) - 2)
        }
        let boosted = try BoostedTrees.fit(
            x: x, y: y, columns: columns + 1, parameters: BoostedTrees.Parameters(trees: 20, depth: 3, loss: .absolute))
        let evidence = DeviationTrees.Evidence(
            validationMAE: 1, ridgeValidationMAE: 2, trainingRows: 2_000, validationRows: 2_000, served: true)
        func carrying(_ trees: [String: DeviationTrees]) -> RidgeForecastModel {
            RidgeForecastModel(
                targets: ridge.targets, horizons: ridge.horizons, design: ridge.design, historicalAverage: ridge.historicalAverage,
                solutions: ridge.solutions, selections: ridge.selections, fallbackSolutions: ridge.fallbackSolutions,
                fallbackSelections: ridge.fallbackSelections, anchor: ridge.anchor, trees: trees)
        }
        let trees = DeviationTrees(trees: boosted, neighborhoods: data.neighborhoods, evidence: evidence)
        let model = carrying(["speed_kmh|15": trees])
        let loaded = try RidgeForecastModel.load(artifact: model.artifact())
        #expect(try loaded.artifact() == model.artifact())
        #expect(loaded.servesTrees(target: .speed, horizonMinutes: 15) && !loaded.servesTrees(target: .speed, horizonMinutes: 30))
        var differ = 0
        for example in data.examples(in: split.test, target: .speed, horizonMinutes: 15).prefix(200) {
            let input = data.input(example.row)
            let design = try #require(loaded.designRow(input, target: .speed, horizonMinutes: 15))
            let row = trees.row(design: design.row, neighborhood: input.neighborhood)
            let expected = row.withUnsafeBufferPointer { design.row[recentColumn] + boosted.predict($0) }
            #expect(loaded.predict(input, target: .speed, horizonMinutes: 15) == expected)
            if expected != ridge.predict(input, target: .speed, horizonMinutes: 15) { differ += 1 }
            // Other horizons are still the ridge's.
            #expect(loaded.predict(input, target: .speed, horizonMinutes: 30) == ridge.predict(input, target: .speed, horizonMinutes: 30))
        }
        #expect(differ > 100)
        #expect(trees.neighborhoodColumn("Nowhere").isNaN)

        // Trees with a share of the forecast answer with that mixture of theirs and the ridge's.
        var halfEvidence = evidence
        halfEvidence.weight = 0.5
        let half = DeviationTrees(trees: boosted, neighborhoods: data.neighborhoods, evidence: halfEvidence)
        let mixed = try RidgeForecastModel.load(artifact: carrying(["speed_kmh|15": half]).artifact())
        for example in data.examples(in: split.test, target: .speed, horizonMinutes: 15).prefix(50) {
            let input = data.input(example.row)
            let fromTrees = try #require(loaded.predict(input, target: .speed, horizonMinutes: 15))
            let fromRidge = try #require(ridge.predict(input, target: .speed, horizonMinutes: 15))
            let answer = try #require(mixed.predict(input, target: .speed, horizonMinutes: 15))
            #expect(abs(answer - (fromTrees + fromRidge) / 2) < 1e-9)
        }
        for share in [0.0, 1.5, .nan] {
            var wrong = evidence
            wrong.weight = share
            let refused = DeviationTrees(trees: boosted, neighborhoods: data.neighborhoods, evidence: wrong)
            #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: carrying(["speed_kmh|15": refused]).artifact()) }
        }

        // Trees that read another design, or answer a horizon the model does not have, are refused.
        let narrow = try BoostedTrees.fit(
            x: Array(x.prefix(2_000 * 2)), y: y, columns: 2, parameters: BoostedTrees.Parameters(trees: 5, depth: 2))
        let misread = DeviationTrees(trees: narrow, neighborhoods: data.neighborhoods, evidence: evidence)
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: carrying(["speed_kmh|15": misread]).artifact()) }
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: carrying(["speed_kmh|45": trees]).artifact()) }
        // A baseline route still comes first.
        let neighborhood = try #require(data.neighborhoods.first)
        let routed = model.routingToBaselines([
            BaselineRoute(target: .speed, horizon: 15, neighborhood: neighborhood, baseline: .historicalAverage)
        ])
        #expect(routed.trees.count == 1)
        #expect(routed.servedBaseline(neighborhood: neighborhood, target: .speed, horizonMinutes: 15) == .historicalAverage)
    }
}
