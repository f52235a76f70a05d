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
    /// What every row is fitted as a deviation from (see `RidgeForecastModel.Anchor`).
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
                        // Too few rows for a regime, or rows from only part of the daily cycle: its
                        // forecasts use the other regime's solution. Retrained eight hours into a
                        // second week, the slot-average regime had only that night and morning,
                        // and its solution scored 17 % worse than production on the next rush hours.
                        guard regimeTrain.count >= Self.minimumRegimeRows, spansADay(regimeTrain) else { continue }
                        let regimeValid = valid.filter { self.regime(of: $0, accumulator) == regime }
                        let examples = regimeTrain + regimeValid
                        let matrix = buildMatrix(
                            key: key, design: design, accumulator: accumulator, target: target, horizon: horizon, regime: regime,
                            examples: examples, trainingRows: regimeTrain.count)
                        let (solution, selection) = try selectAndFit(
                            matrix, rowTimes: examples.map { data.rows[$0.row].timestamp }, folds: folds)
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
                design.fill(
                    base + r * p, input: input, horizonMinutes: horizon, haIssue: haIssue, haTarget: haTarget,
                    profile: accumulator.profileMean(segment: segment, time: labelTime, leavingOut: example.actual) ?? haTarget,
                    clock: accumulator.clock)
                y[r] = example.actual - Self.anchor.value(lastObserved: design.recentLevel(input, target), average: haTarget)
            }
        }
        return RidgeDesignMatrix(key: key, columns: design.columnNames, x: x, y: y, trainingRows: trainingRows)
    }

    /// Tries every penalty on each fold (`TimeSplit.validationFolds`: fitted on the other fitting rows,
    /// scored on the fold's rows; the first fold is the validation period, fitted on the training
    /// rows only) and keeps the lowest MAE pooled over the folds (the grid order breaks ties).
    /// Then the same penalty with absolute-error loss (`RobustRidge`) against squared error on
    /// the validation period, keeping the better; finally refits on all rows with both choices.
    private func selectAndFit(_ matrix: RidgeDesignMatrix, rowTimes: [EpochMillis], folds: [Range<EpochMillis>]) throws
        -> (RidgeSolution, RidgeForecastModel.Selection)
    {
        let validationRows = matrix.x.rows - matrix.trainingRows
        var best = parameters.penaltyGrid[parameters.penaltyGrid.count / 2]
        var bestMAE: Double?
        var loss = RidgeForecastModel.Loss.absolute
        if validationRows > 0 {
            let problem = try RidgeProblem(x: matrix.x, y: matrix.y, rowCount: matrix.trainingRows)
            var pooled = parameters.penaltyGrid.map { _ in ErrorAccumulator() }
            var validationSolutions: [RidgeSolution] = []
            for penalty in parameters.penaltyGrid {
                validationSolutions.append(try problem.solve(penalty: penalty))
            }
            for (index, solution) in validationSolutions.enumerated() {
                addErrors(solution, matrix, rows: matrix.trainingRows..<matrix.x.rows, to: &pooled[index])
            }
            for fold in folds.dropFirst() {
                guard let held = holdingOut(fold, from: matrix, rowTimes: rowTimes) else { continue }
                let foldProblem = try RidgeProblem(x: held.x, y: held.y, rowCount: held.trainingRows)
                for (index, penalty) in parameters.penaltyGrid.enumerated() {
                    addErrors(try foldProblem.solve(penalty: penalty), held, rows: held.trainingRows..<held.x.rows, to: &pooled[index])
                }
            }
            var bestIndex: Int?
            for index in parameters.penaltyGrid.indices {
                guard let mae = pooled[index].mae else { continue }
                if bestIndex.flatMap({ pooled[$0].mae }).map({ mae < $0 }) ?? true { bestIndex = index }
            }
            let bestSolution = bestIndex.map { validationSolutions[$0] }
            if let bestIndex { best = parameters.penaltyGrid[bestIndex] }
            bestMAE = bestIndex.flatMap { pooled[$0].mae }
            let squaredMAE = bestSolution.flatMap { validationMAE($0, matrix) }
            let robust = try RobustRidge.fitLeastAbsolute(
                x: matrix.x, y: matrix.y, rowCount: matrix.trainingRows, penalty: best, start: bestSolution)
            if let robustMAE = validationMAE(robust, matrix), let squaredMAE, robustMAE >= squaredMAE {
                loss = .squared
            }
        }
        let final: RidgeSolution
        switch loss {
        case .squared: final = try RidgeProblem(x: matrix.x, y: matrix.y).solve(penalty: best)
        case .absolute: final = try RobustRidge.fitLeastAbsolute(x: matrix.x, y: matrix.y, penalty: best)
        }
        return (
            final,
            RidgeForecastModel.Selection(
                penalty: best, loss: loss, validationMAE: bestMAE, trainingRows: matrix.trainingRows,
                validationRows: validationRows)
        )
    }

    /// The matrix's rows outside `fold` first (as training rows), then the fold's; nil when the
    /// fold has no rows or leaves too few to fit.
    private func holdingOut(_ fold: Range<EpochMillis>, from matrix: RidgeDesignMatrix, rowTimes: [EpochMillis])
        -> RidgeDesignMatrix?
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
        return RidgeDesignMatrix(key: matrix.key, columns: matrix.columns, x: x, y: y, trainingRows: order.count - inside.count)
    }

    private func addErrors(_ solution: RidgeSolution, _ matrix: RidgeDesignMatrix, rows: Range<Int>, to errors: inout ErrorAccumulator) {
        matrix.x.values.withUnsafeBufferPointer { xs in
            let p = matrix.x.columns
            for r in rows {
                let row = UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)])
                errors.add(predicted: solution.predict(row), actual: matrix.y[r])
            }
        }
    }

    private func validationMAE(_ solution: RidgeSolution, _ matrix: RidgeDesignMatrix) -> Double? {
        var errors = ErrorAccumulator()
        addErrors(solution, matrix, rows: matrix.trainingRows..<matrix.x.rows, to: &errors)
        return errors.mae
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
