import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecasting
@testable import CablecarNumerics

/// The deviation trees read the design's level forecasts also as differences from the recent
/// level (`TreeInputLayout`): fitted with them, carried by the artifact, served over them, and
/// refused when they name columns the design lacks.
@Suite struct TreeInputLayoutTests {
    /// A label that is a step in the difference of two columns each spread over a wide range:
    /// with the difference as a column, one split finds it; from the two levels, as many trees
    /// only approximate the diagonal with steps.
    @Test func theDifferencesLetTreesLearnADeviationFromTwoLevels() throws {
        let layout = TreeInputLayout(levelColumns: [0], recentColumn: 1)
        func sample(withDifferences: Bool) -> DeviationTreeTrainer.Sample {
            var sample = DeviationTreeTrainer.Sample()
            for r in 0..<6_000 {
                let level = Double((r * 7_919) % 1_000)
                let recent = Double((r * 104_729) % 1_000)
                let y = level - recent > 0 ? 10.0 : -10.0
                let row = [level, recent]
                var x = row
                x.append(Double(r % 3))
                if withDifferences { row.withUnsafeBufferPointer { layout.appendDifferences(of: $0, to: &x) } }
                if r < 4_000 {
                    sample.trainingX += x
                    sample.trainingY.append(y)
                } else {
                    sample.validationX += x
                    sample.validationY.append(y)
                    sample.validationWeekend.append(r % 7 >= 5)
                    sample.ridgeValidationResiduals.append(y)  // a ridge forecasting no deviation
                }
            }
            return sample
        }
        let trainer = DeviationTreeTrainer(designColumns: 2, neighborhoods: ["A", "B", "C"], trees: 100)
        let with = try #require(try trainer.fit(sample(withDifferences: true), layout: layout))
        let without = try #require(try trainer.fit(sample(withDifferences: false)))
        #expect(with.trees?.layout == layout)
        #expect(with.trees?.trees.featureCount == 4)
        // Measured: 0.18 with the difference (what is left is the absolute loss's shrinkage), 0.49
        // from the levels alone.
        #expect(with.evidence.validationMAE < 0.3, "one split on the difference: \(with.evidence.validationMAE)")
        #expect(
            without.evidence.validationMAE > 2 * with.evidence.validationMAE, "levels alone: \(without.evidence.validationMAE)")
    }

    @Test func theLayoutNamesTheDesignsLevelColumnsOfItsTarget() throws {
        let names = [
            "speed_lag_1", "speed_mean_60m", "flow_mean_60m", "flow_yesterday", "last_speed", "last_flow", "ha_issue_time",
            "ha_target_time", "recent_level", "profile_target_time",
        ]
        let speed = try #require(TreeInputLayout(columnNames: names, target: .speed))
        #expect(speed.recentColumn == 8)
        #expect(
            speed.levelColumns.map { names[$0] } == [
                "ha_target_time", "ha_issue_time", "profile_target_time", "last_speed", "speed_mean_60m",
            ])
        let flow = try #require(TreeInputLayout(columnNames: names, target: .flow))
        #expect(
            flow.levelColumns.map { names[$0] } == [
                "ha_target_time", "ha_issue_time", "profile_target_time", "last_flow", "flow_yesterday", "flow_mean_60m",
            ])
        #expect(TreeInputLayout(columnNames: names.filter { $0 != "recent_level" }, target: .speed) == nil)
        #expect(speed.width(designColumns: names.count) == names.count + 1 + 5)
    }

    /// Trees with a layout answer with the recent level plus their deviation over the design row,
    /// the neighborhood's index and the differences computed here by hand, through the artifact;
    /// a layout naming a column outside the design, or trees of another width, are refused.
    @Test func servedTreesReadTheDifferencesThroughTheArtifact() throws {
        let data = try TrainingData(snapshot: DeviationTreeTests.threeWeeks, parameters: ModelParameters(deviationTrees: 0))
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(deviationTrees: 0))
        let columns = ridge.designColumns.count
        let layout = try #require(TreeInputLayout(columnNames: ridge.designColumns, target: .flow))
        #expect(layout.levelColumns.count >= 5)
        let width = layout.width(designColumns: columns)
        var x: [Double] = []
        var y: [Double] = []
        for r in 0..<2_000 {
            for c in 0..<width { x.append(Double((r * (c + 3)) % 97) - (c > columns ? 48 : 0)) }
            y.append(x[x.count - 1] > 0 ? 30 : -30)
        }
        let boosted = try BoostedTrees.fit(
            x: x, y: y, columns: width, parameters: BoostedTrees.Parameters(trees: 10, depth: 3, loss: .absolute))
        let evidence = DeviationTrees.Evidence(
            validationMAE: 1, ridgeValidationMAE: 2, trainingRows: 2_000, validationRows: 2_000, served: true)
        func carrying(_ trees: DeviationTrees) -> RidgeForecastModel {
            RidgeForecastModel(
                targets: ridge.targets, horizons: ridge.horizons, design: ridge.design, historicalAverage: ridge.historicalAverage,
                solutions: ridge.solutions, selections: ridge.selections, fallbackSolutions: ridge.fallbackSolutions,
                fallbackSelections: ridge.fallbackSelections, anchor: ridge.anchor, trees: ["flow_veh_h|30": trees])
        }
        let trees = DeviationTrees(trees: boosted, neighborhoods: data.neighborhoods, evidence: evidence, layout: layout)
        let loaded = try RidgeForecastModel.load(artifact: carrying(trees).artifact())
        #expect(loaded.trees["flow_veh_h|30"]?.layout == layout)
        var differ = 0
        for example in data.examples(in: split.test, target: .flow, horizonMinutes: 30).prefix(200) {
            let input = data.input(example.row)
            let design = try #require(loaded.designRow(input, target: .flow, horizonMinutes: 30)).row
            let neighborhood = Double(try #require(data.neighborhoods.firstIndex(of: input.neighborhood)))
            let recent = design[layout.recentColumn]
            let row = design + [neighborhood] + layout.levelColumns.map { design[$0] - recent }
            #expect(trees.row(design: design, neighborhood: input.neighborhood) == row)
            let expected = row.withUnsafeBufferPointer { recent + boosted.predict($0) }
            #expect(loaded.predict(input, target: .flow, horizonMinutes: 30) == expected)
            if expected != ridge.predict(input, target: .flow, horizonMinutes: 30) { differ += 1 }
        }
        #expect(differ > 100)

        let outside = DeviationTrees(
            trees: boosted, neighborhoods: data.neighborhoods, evidence: evidence,
            layout: TreeInputLayout(levelColumns: layout.levelColumns.dropLast() + [columns], recentColumn: layout.recentColumn))
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: carrying(outside).artifact()) }
        let shorter = DeviationTrees(
            trees: boosted, neighborhoods: data.neighborhoods, evidence: evidence,
            layout: TreeInputLayout(levelColumns: Array(layout.levelColumns.dropLast()), recentColumn: layout.recentColumn))
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: carrying(shorter).artifact()) }
    }

    /// The trainer's served trees carry the layout of their target.
    @Test func theTrainerFitsTreesOverTheLayout() throws {
        let data = try TrainingData(snapshot: DeviationTreeTests.threeWeeks, parameters: ModelParameters())
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        let model = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters())
        #expect(!model.trees.isEmpty)
        for (key, trees) in model.trees {
            let target: ForecastTarget = key.hasPrefix("speed") ? .speed : .flow
            #expect(trees.layout == TreeInputLayout(columnNames: model.designColumns, target: target), "\(key)")
            #expect(trees.trees.featureCount == trees.width(designColumns: model.designColumns.count), "\(key)")
        }
    }
}
