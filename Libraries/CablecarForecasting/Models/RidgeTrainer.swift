import CablecarDomain
import CablecarNumerics

/// The design matrix of one (target, horizon, neighborhood): training rows first, then
/// validation rows. `y` is the deviation of the actual from the historical average at the
/// target time.
public struct RidgeDesignMatrix: Sendable {
    public var key: String
    public var columns: [String]
    public var x: DenseMatrix
    public var y: [Double]
    public var trainingRows: Int
}

/// Fits a `RidgeForecastModel`. Historical-average inputs of training rows are leave-one-out
/// (see `HistoricalAverageAccumulator`), so the model does not learn to trust an average that
/// contains its own label.
///
/// Two solutions per (target, horizon, neighborhood), by whether the target's time-of-week slot
/// has an average of other observations. Leave-one-out, a slot seen once in training has none
/// and the row is fitted against the segment mean; served, the same slot has its one
/// observation. With one week of data that is every slot: one model fitted on segment means and
/// served slot values scored like the historical average. Each regime now gets the solution
/// fitted on rows like it.
struct RidgeTrainer {
    enum Regime { case slotAverage, noSlotAverage }
    static let minimumRegimeRows = 100
    static let minimumRegimeSpan: EpochMillis = 86_400_000 - 3_600_000
    /// The anchors a regime's solutions may use, the first preferred (see `selectAndFit`). Rows
    /// without an average of their slot would be deviations from a segment mean, which shrank jams
    /// to free flow: they use the recent level. Rows with one choose on validation: with two weeks
    /// the slot average is one other day and the recent level wins; with a month the average is the
    /// better place to shrink to at 30 and 60 minutes (`SimulatedMonthTests`).
    static func anchors(_ regime: Regime) -> [RidgeForecastModel.Anchor] {
        regime == .slotAverage ? [.lastObserved, .historicalAverage] : [.lastObserved]
    }

    /// How much better (relative pooled validation MAE) a later anchor of `anchors` must be to be
    /// chosen over the first.
    static let anchorMargin = 0.03
    /// What rows are built as deviations from; the other anchor is fitted on the same Gram
    /// (see `selectAndFit`).
    static let anchor = RidgeForecastModel.Anchor.lastObserved

    let data: TrainingData
    let split: TimeSplit
    let parameters: ModelParameters

    func fit(inspect: ((RidgeDesignMatrix, RidgeSolution) -> Void)? = nil) throws -> RidgeForecastModel {
        try parameters.validate()
        let design = RidgeDesign(data: data, period: split.fitting, targetAverageColumn: Self.anchor == .lastObserved)
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        var solutions: [String: RidgeSolution] = [:]
        var selections: [String: RidgeForecastModel.Selection] = [:]
        var fallbackSolutions: [String: RidgeSolution] = [:]
        var fallbackSelections: [String: RidgeForecastModel.Selection] = [:]
        let folds = split.validationFolds()
        for target in parameters.targets {
            let accumulator = HistoricalAverageAccumulator(data: data, target: target, period: split.fitting)
            guard accumulator.totalCount > 0 else {
                throw ForecastingError.emptyTrainingData("no \(target.rawValue) labels in the fitting period")
            }
            tables[target] = accumulator.table(segments: data.segments)
            for horizon in parameters.horizons {
                let training = data.examples(in: split.train, target: target, horizonMinutes: horizon)
                let validation = data.examples(in: split.validation, target: target, horizonMinutes: horizon)
                let byNeighborhood = group(training: training, validation: validation)
                for neighborhood in data.neighborhoods {
                    guard let (train, valid) = byNeighborhood[neighborhood] else { continue }
                    let key = RidgeForecastModel.key(target, horizon, neighborhood)
                    for regime in [Regime.slotAverage, .noSlotAverage] {
                        let regimeTrain = train.filter { self.regime(of: $0, accumulator) == regime }
                        // Too few rows for a regime, or rows from only part of the daily cycle (a
                        // retraining eight hours into a second week has slot averages for that
                        // night and morning only): its forecasts use the other regime's solution,
                        // rather than one fitted on some hours applied to all of them.
                        guard regimeTrain.count >= Self.minimumRegimeRows, spansADay(regimeTrain) else { continue }
                        let regimeValid = valid.filter { self.regime(of: $0, accumulator) == regime }
                        let examples = regimeTrain + regimeValid
                        let matrix = buildMatrix(
                            key: key, design: design, accumulator: accumulator, target: target, horizon: horizon, regime: regime,
                            examples: examples, trainingRows: regimeTrain.count)
                        let (solution, selection) = try selectAndFit(
                            matrix, design: design, regime: regime, rowTimes: examples.map { data.rows[$0.row].timestamp },
                            weekend: examples.map { accumulator.clock.isWeekend(data.rows[$0.labelRow].timestamp) }, folds: folds)
                        switch regime {
                        case .slotAverage:
                            solutions[key] = solution
                            selections[key] = selection
                        case .noSlotAverage:
                            fallbackSolutions[key] = solution
                            fallbackSelections[key] = selection
                        }
                        inspect?(matrix, solution)
                    }
                }
            }
        }
        return RidgeForecastModel(
            targets: parameters.targets, horizons: parameters.horizons, design: design, historicalAverage: tables,
            solutions: solutions, selections: selections, fallbackSolutions: fallbackSolutions,
            fallbackSelections: fallbackSelections, anchor: Self.anchor)
    }

    /// Whether an example's target slot has observations besides its own label: the same
    /// question a served forecast asks of the table (`RidgeForecastModel.predict`).
    private func regime(of example: TrainingData.Example, _ accumulator: HistoricalAverageAccumulator) -> Regime {
        let segment = data.segmentIndex(ofRow: example.row)
        let labelTime = data.rows[example.labelRow].timestamp
        return accumulator.slotMean(segment: segment, time: labelTime, leavingOut: example.actual) == nil
            ? .noSlotAverage : .slotAverage
    }

    /// Whether the examples' issue times cover at least one whole day.
    private func spansADay(_ examples: [TrainingData.Example]) -> Bool {
        var earliest = EpochMillis.max
        var latest = EpochMillis.min
        for example in examples {
            let time = data.rows[example.row].timestamp
            earliest = min(earliest, time)
            latest = max(latest, time)
        }
        return latest - earliest >= Self.minimumRegimeSpan
    }

    private func group(training: [TrainingData.Example], validation: [TrainingData.Example])
        -> [String: ([TrainingData.Example], [TrainingData.Example])]
    {
        var result: [String: ([TrainingData.Example], [TrainingData.Example])] = [:]
        for example in training { result[data.rows[example.row].neighborhood, default: ([], [])].0.append(example) }
        for example in validation { result[data.rows[example.row].neighborhood, default: ([], [])].1.append(example) }
        return result
    }

    private func buildMatrix(
        key: String, design: RidgeDesign, accumulator: HistoricalAverageAccumulator, target: ForecastTarget,
        horizon: Int, regime: Regime, examples: [TrainingData.Example], trainingRows: Int
    ) -> RidgeDesignMatrix {
        let p = design.columnCount
        var x = DenseMatrix(zeroRows: examples.count, columns: p)
        var y = Array(repeating: 0.0, count: examples.count)
        x.values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for (r, example) in examples.enumerated() {
                let segment = data.segmentIndex(ofRow: example.row)
                let labelTime = data.rows[example.labelRow].timestamp
                let issueLabel = data.label(example.row, target).flatMap { $0.isFinite ? $0 : nil }
                let haTarget: Double
                let haIssue: Double
                switch regime {
                case .slotAverage:
                    haTarget = accumulator.value(segment: segment, time: labelTime, leavingOut: example.actual)
                    haIssue = accumulator.value(segment: segment, time: data.rows[example.row].timestamp, leavingOut: issueLabel)
                case .noSlotAverage:
                    haTarget = accumulator.fallback(segment: segment, leavingOut: example.actual)
                    haIssue = haTarget
                }
                let input = data.input(example.row)
                let recent = RidgeForecastModel.Anchor.lastObserved.value(
                    lastObserved: design.recentLevel(input, target), average: haTarget)
                design.fill(
                    base + r * p, input: input, horizonMinutes: horizon, haIssue: haIssue, haTarget: haTarget, recent: recent,
                    profile: accumulator.profileMean(around: example.labelRow, data: data, target: target) ?? haTarget,
                    clock: accumulator.clock)
                y[r] = example.actual - recent
            }
        }
        return RidgeDesignMatrix(key: key, columns: design.columnNames, x: x, y: y, trainingRows: trainingRows)
    }

    /// Tries every penalty with both anchors on each fold (`TimeSplit.validationFolds`: fitted on
    /// the other fitting rows, scored on the fold's rows; the first fold is the validation period,
    /// fitted on the training rows only) and keeps the lowest MAE pooled over the folds (the grid
    /// order breaks ties; the average must beat the recent level by `anchorMargin`).
    /// Then the same penalty with absolute-error loss (`RobustRidge`) against squared error on
    /// the same folds, keeping the better; finally refits on all rows with both choices.
    private func selectAndFit(
        _ matrix: RidgeDesignMatrix, design: RidgeDesign, regime: Regime, rowTimes: [EpochMillis], weekend: [Bool],
        folds: [Range<EpochMillis>]
    ) throws -> (RidgeSolution, RidgeForecastModel.Selection) {
        let validationRows = matrix.x.rows - matrix.trainingRows
        // Rows are built against the recent level; the historical average's target is the same
        // plus (recent − average), two columns of the design, so both anchors share one Gram.
        let shift = design.anchorColumnIndices.map { [(column: $0.recent, weight: 1.0), (column: $0.average, weight: -1.0)] }
        let anchors = shift == nil ? [Self.anchor] : Self.anchors(regime)
        var best = parameters.penaltyGrid[parameters.penaltyGrid.count / 2]
        var bestAnchor = anchors[0]
        var bestMAE: Double?
        var loss = RidgeForecastModel.Loss.absolute
        var y = bestAnchor == .lastObserved ? matrix.y : shifted(matrix, by: shift ?? []).y
        if validationRows > 0 {
            let base = try RidgeProblem(x: matrix.x, y: matrix.y, rowCount: matrix.trainingRows)
            var pooled = anchors.map { _ in parameters.penaltyGrid.map { _ in WeekWeightedErrors() } }
            var validationSolutions: [[RidgeSolution]] = []
            for (a, anchor) in anchors.enumerated() {
                let problem = anchor == .lastObserved ? base : try base.shiftingTarget(by: shift ?? [])
                let target = anchor == .lastObserved ? matrix : shifted(matrix, by: shift ?? [])
                var solutions: [RidgeSolution] = []
                for (index, penalty) in parameters.penaltyGrid.enumerated() {
                    let solution = try problem.solve(penalty: penalty)
                    addErrors(solution, target, rows: matrix.trainingRows..<matrix.x.rows, weekend: weekend, to: &pooled[a][index])
                    solutions.append(solution)
                }
                validationSolutions.append(solutions)
            }
            for fold in folds.dropFirst() {
                guard let (held, order) = holdingOut(fold, from: matrix, rowTimes: rowTimes) else { continue }
                let heldWeekend = order.map { weekend[$0] }
                let foldProblem = try RidgeProblem(x: held.x, y: held.y, rowCount: held.trainingRows)
                for (a, anchor) in anchors.enumerated() {
                    let problem = anchor == .lastObserved ? foldProblem : try foldProblem.shiftingTarget(by: shift ?? [])
                    let target = anchor == .lastObserved ? held : shifted(held, by: shift ?? [])
                    for (index, penalty) in parameters.penaltyGrid.enumerated() {
                        addErrors(
                            try problem.solve(penalty: penalty), target, rows: held.trainingRows..<held.x.rows, weekend: heldWeekend,
                            to: &pooled[a][index])
                    }
                }
            }
            // The recent level is the default; the average must validate clearly better (by
            // `anchorMargin`) to replace it: a close call on a few validation days went to the
            // average in cells where the recent level was better on the days after.
            var bestIndex: (anchor: Int, penalty: Int)?
            for a in anchors.indices {
                var anchorBest: (index: Int, mae: Double)?
                for index in parameters.penaltyGrid.indices {
                    guard let mae = pooled[a][index].mae else { continue }
                    if anchorBest.map({ mae < $0.mae }) ?? true { anchorBest = (index, mae) }
                }
                guard let anchorBest else { continue }
                let margin = a == 0 ? 1 : 1 - Self.anchorMargin
                if bestIndex.flatMap({ pooled[$0.anchor][$0.penalty].mae }).map({ anchorBest.mae < $0 * margin }) ?? true {
                    bestIndex = (a, anchorBest.index)
                }
            }
            if let bestIndex {
                best = parameters.penaltyGrid[bestIndex.penalty]
                bestAnchor = anchors[bestIndex.anchor]
                bestMAE = pooled[bestIndex.anchor][bestIndex.penalty].mae
            }
            // The loss is chosen on the same folds as the penalty. Chosen on the validation period
            // alone (one Sunday), absolute error won on its flat traffic and then, fitting the
            // median row, missed an industrial neighborhood's weekday 5 a.m. ramp by 330 veh/h at
            // 60 minutes (squared error: 154).
            let chosen = bestAnchor == .lastObserved ? matrix : shifted(matrix, by: shift ?? [])
            y = chosen.y
            if let bestIndex {
                var robustErrors = WeekWeightedErrors()
                let robust = try RobustRidge.fitLeastAbsolute(
                    x: matrix.x, y: y, rowCount: matrix.trainingRows, penalty: best,
                    start: validationSolutions[bestIndex.anchor][bestIndex.penalty])
                addErrors(robust, chosen, rows: matrix.trainingRows..<matrix.x.rows, weekend: weekend, to: &robustErrors)
                for fold in folds.dropFirst() {
                    guard let (held, order) = holdingOut(fold, from: matrix, rowTimes: rowTimes) else { continue }
                    let heldWeekend = order.map { weekend[$0] }
                    let target = bestAnchor == .lastObserved ? held : shifted(held, by: shift ?? [])
                    let foldRobust = try RobustRidge.fitLeastAbsolute(
                        x: target.x, y: target.y, rowCount: target.trainingRows, penalty: best)
                    addErrors(foldRobust, target, rows: target.trainingRows..<target.x.rows, weekend: heldWeekend, to: &robustErrors)
                }
                if let robustMAE = robustErrors.mae, let squaredMAE = bestMAE, robustMAE >= squaredMAE {
                    loss = .squared
                }
            }
        }
        let final: RidgeSolution
        switch loss {
        case .squared: final = try RidgeProblem(x: matrix.x, y: y).solve(penalty: best)
        case .absolute: final = try RobustRidge.fitLeastAbsolute(x: matrix.x, y: y, penalty: best)
        }
        return (
            final,
            RidgeForecastModel.Selection(
                penalty: best, loss: loss, validationMAE: bestMAE, trainingRows: matrix.trainingRows,
                validationRows: validationRows, anchor: shift == nil ? nil : bestAnchor)
        )
    }

    /// The matrix with its target plus `Σ weight · x[column]` (the other anchor's target).
    private func shifted(_ matrix: RidgeDesignMatrix, by terms: [(column: Int, weight: Double)]) -> RidgeDesignMatrix {
        var result = matrix
        let p = matrix.x.columns
        matrix.x.values.withUnsafeBufferPointer { xs in
            for r in 0..<matrix.x.rows {
                for term in terms { result.y[r] += term.weight * xs[r * p + term.column] }
            }
        }
        return result
    }

    /// The matrix's rows outside `fold` first (as training rows), then the fold's; nil when the
    /// fold has no rows or leaves too few to fit.
    private func holdingOut(_ fold: Range<EpochMillis>, from matrix: RidgeDesignMatrix, rowTimes: [EpochMillis])
        -> (RidgeDesignMatrix, order: [Int])?
    {
        let inside = rowTimes.indices.filter { fold.contains(rowTimes[$0]) }
        guard !inside.isEmpty, matrix.x.rows - inside.count >= Self.minimumRegimeRows else { return nil }
        let insideSet = Set(inside)
        let order = rowTimes.indices.filter { !insideSet.contains($0) } + inside
        let p = matrix.x.columns
        var x = DenseMatrix(zeroRows: order.count, columns: p)
        var y = Array(repeating: 0.0, count: order.count)
        matrix.x.values.withUnsafeBufferPointer { source in
            x.values.withUnsafeMutableBufferPointer { target in
                for (r, original) in order.enumerated() {
                    for c in 0..<p { target[r * p + c] = source[original * p + c] }
                }
            }
        }
        for (r, original) in order.enumerated() { y[r] = matrix.y[original] }
        return (
            RidgeDesignMatrix(key: matrix.key, columns: matrix.columns, x: x, y: y, trainingRows: order.count - inside.count), order
        )
    }

    private func addErrors(
        _ solution: RidgeSolution, _ matrix: RidgeDesignMatrix, rows: Range<Int>, weekend: [Bool], to errors: inout WeekWeightedErrors
    ) {
        matrix.x.values.withUnsafeBufferPointer { xs in
            let p = matrix.x.columns
            for r in rows {
                let row = UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)])
                errors.add(predicted: solution.predict(row), actual: matrix.y[r], weekend: weekend[r])
            }
        }
    }
}

extension RidgeForecastModel {
    /// Fits like `fit(_:split:parameters:)` and hands every design matrix and its final solution
    /// to `inspect` (the benchmark exports them to compare against scikit-learn).
    public static func fit(
        _ data: TrainingData, split: TimeSplit, parameters: ModelParameters,
        inspect: @escaping (RidgeDesignMatrix, RidgeSolution) -> Void
    ) throws -> Self {
        try RidgeTrainer(data: data, split: split, parameters: parameters).fit(inspect: inspect)
    }
}
