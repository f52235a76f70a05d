import CablecarDomain
import CablecarNumerics

/// The second model family: per target and horizon, `DeviationTrees` fitted on rows sampled from
/// the ridge's own design matrices (every neighborhood and regime pooled, the neighborhood's index
/// as one more column, then the level columns' differences from the recent level: `TreeInputLayout`), kept only where they beat the ridge on the validation period.
///
/// On the 14-day benchmark, trees on exactly these inputs removed 5 to 11 more points of the
/// reducible error for speed and 4 to 6 for flow than the ridge (docs/trainer.md, *Trees in
/// place of the ridge*). Earlier tries chose trees on a single validation day and then lost to
/// persistence on the weekday after, so trees are only offered when the training period holds a
/// whole week (`minimumTrainingDays`), up to `longestHorizon`, and their mixture with the ridge
/// must validate better by `margin` times their share.
struct DeviationTreeTrainer {
    /// Rows sampled from one ridge cell: training rows every `stride`-th, validation-period rows
    /// `validationDensity` times as often, each with the neighborhood's index appended, the
    /// deviation of the actual from the recent level as label, and the ridge's residual (actual
    /// minus forecast) on the validation rows (fitted on the training rows only).
    struct Sample: Sendable {
        var trainingX: [Double] = []
        var trainingY: [Double] = []
        var validationX: [Double] = []
        var validationY: [Double] = []
        var validationWeekend: [Bool] = []
        var ridgeValidationResiduals: [Double] = []

        mutating func append(_ other: Sample) {
            trainingX += other.trainingX
            trainingY += other.trainingY
            validationX += other.validationX
            validationY += other.validationY
            validationWeekend += other.validationWeekend
            ridgeValidationResiduals += other.ridgeValidationResiduals
        }
    }

    static let minimumTrainingDays = 7
    /// Trees are tried up to this horizon, the longest measured. Trees alone an hour ahead once
    /// validated better on a simulated month and then lost to the historical average by 6 and 8 %
    /// in two neighborhoods on its test days (`SimulatedMonthTests`); mixed with the ridge
    /// (`weights`) they pass that test, and on 14 days the mixture takes a quarter to half of the
    /// forecast.
    static let longestHorizon = 60
    /// Training rows per target and horizon at most (the fit's time grows with them: 110,000 rows
    /// and 150 trees add about 6 s a target and horizon on this project's two-core machine). Twice as many rows as
    /// before the trees' histograms were summed per node gained 0.3 to 2 points on the 14-day
    /// replays (docs/trainer.md, *Faster trees, more rows*).
    static let maximumTrainingRows = 120_000
    static let validationDensity = 4
    static let minimumValidationRows = 1_000
    /// How much lower (relative week-weighted MAE) the trees' validation error must be than the
    /// ridge's to be served alone; a mixture needs this times the trees' share. By the triangle
    /// inequality a mixture's MAE is at most the same mixture of the two MAEs, so trees with half
    /// of the forecast can cost at most half of what the trees alone would where they mislead.
    static let margin = 0.02
    /// The trees' shares of the served forecast that are tried, the rest the ridge's: the two
    /// families err differently, so their mean can beat both. Tried in this order, the first of
    /// equals kept; the first is the trees alone.
    static let weights = [1.0, 0.75, 0.5, 0.25]

    static func parameters(trees: Int) -> BoostedTrees.Parameters {
        BoostedTrees.Parameters(trees: trees, depth: 6, learningRate: 0.1, minimumLeafRows: 50, leafPenalty: 1, loss: .absolute)
    }

    /// Whether trees are offered at all for a split of data that begins at `dataStart` (see the
    /// type's comment). A request's window can reach back before the history: what counts is the
    /// days of training data.
    static func offered(split: TimeSplit, dataStart: EpochMillis, trees: Int) -> Bool {
        trees > 0 && split.train.upperBound - max(split.train.lowerBound, dataStart) >= EpochMillis(minimumTrainingDays) * 86_400_000
    }

    /// Every `stride`-th training row keeps a target and horizon's pooled rows near
    /// `maximumTrainingRows`.
    static func stride(trainingRows: Int) -> Int { max(1, (trainingRows + maximumTrainingRows - 1) / maximumTrainingRows) }

    let designColumns: Int
    let neighborhoods: [String]
    let trees: Int
    var cancellation: FitCancellation?

    /// The trees fitted on `sample`'s training rows and their evidence; trees nil when they do
    /// not validate better than the ridge by `margin`. nil when there are too few rows to tell.
    /// The sample's rows hold `layout`'s differences after the neighborhood's column.
    func fit(_ sample: Sample, layout: TreeInputLayout? = nil) throws -> (trees: DeviationTrees?, evidence: DeviationTrees.Evidence)? {
        let columns = layout?.width(designColumns: designColumns) ?? designColumns + 1
        guard sample.trainingY.count >= Self.minimumValidationRows, sample.validationY.count >= Self.minimumValidationRows,
            sample.ridgeValidationResiduals.count == sample.validationY.count
        else { return nil }
        let model = try BoostedTrees.fit(
            x: sample.trainingX, y: sample.trainingY, columns: columns, parameters: Self.parameters(trees: trees),
            cancellation: cancellation)
        var weighted = Self.weights.map { _ in WeekWeightedErrors() }
        var ridgeErrors = WeekWeightedErrors()
        sample.validationX.withUnsafeBufferPointer { xs in
            for r in sample.validationY.indices {
                let row = UnsafeBufferPointer(rebasing: xs[(r * columns)..<((r + 1) * columns)])
                let actual = sample.validationY[r]
                let weekend = sample.validationWeekend[r]
                let treeDeviation = model.predict(row)
                let ridgeDeviation = actual - sample.ridgeValidationResiduals[r]
                for (index, weight) in Self.weights.enumerated() {
                    weighted[index].add(
                        predicted: weight * treeDeviation + (1 - weight) * ridgeDeviation, actual: actual, weekend: weekend)
                }
                ridgeErrors.add(predicted: ridgeDeviation, actual: actual, weekend: weekend)
            }
        }
        // `weights` begins with the trees alone.
        guard let treeMAE = weighted[0].mae, let ridgeMAE = ridgeErrors.mae else { return nil }
        var best = (weight: Self.weights[0], mae: treeMAE)
        for (index, weight) in Self.weights.enumerated() {
            if let mae = weighted[index].mae, mae < best.mae { best = (weight, mae) }
        }
        let evidence = DeviationTrees.Evidence(
            validationMAE: treeMAE, ridgeValidationMAE: ridgeMAE, trainingRows: sample.trainingY.count,
            validationRows: sample.validationY.count, served: best.mae < ridgeMAE * (1 - Self.margin * best.weight), weight: best.weight,
            servedValidationMAE: best.mae)
        let trees = DeviationTrees(trees: model, neighborhoods: neighborhoods, evidence: evidence, layout: layout)
        return (evidence.served ? trees : nil, evidence)
    }
}
