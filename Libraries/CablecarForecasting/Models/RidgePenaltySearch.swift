import CablecarDomain
import CablecarNumerics

/// One ridge cell (target, horizon, neighborhood, regime) tried with every penalty and anchor on
/// the validation folds (`TimeSplit.validationFolds`: each fitted on the other fitting rows and
/// scored on the fold's rows; the first fold is the validation period, fitted on the training
/// rows only), then finished (`finish`): its choices made and refitted on all rows.
///
/// The errors are kept per anchor and penalty so that a choice can look beyond one cell. Choosing
/// the penalty for all neighborhoods of a target and horizon together was measured and not kept
/// (docs/trainer.md, *Benchmark*).
struct RidgePenaltySearch {
    let matrix: RidgeDesignMatrix
    let rowTimes: [EpochMillis]
    let weekend: [Bool]
    let anchors: [RidgeForecastModel.Anchor]
    /// Per anchor other than the recent level, the columns that turn the recent level's target
    /// into the anchor's; empty in designs without the anchors as columns.
    let shifts: [RidgeForecastModel.Anchor: [(column: Int, weight: Double)]]
    /// Absolute errors pooled over the folds, per anchor (`anchors` order) and penalty (grid
    /// order); empty without validation rows.
    let errors: [[WeekWeightedErrors]]
    /// Each anchor's and penalty's solution fitted on the training rows (the robust fit's start).
    let validationSolutions: [[RidgeSolution]]

    init(
        _ matrix: RidgeDesignMatrix, design: RidgeDesign, anchors allowed: [RidgeForecastModel.Anchor], rowTimes: [EpochMillis],
        weekend: [Bool], folds: [Range<EpochMillis>], grid: [Double]
    ) throws {
        self.matrix = matrix
        self.rowTimes = rowTimes
        self.weekend = weekend
        // Rows are built against the recent level; the historical average's target is the same
        // plus (recent − average), two columns of the design, so the anchors share one Gram; the
        // profile's likewise.
        var shifts: [RidgeForecastModel.Anchor: [(column: Int, weight: Double)]] = [:]
        if let columns = design.anchorColumnIndices {
            shifts[.historicalAverage] = [(column: columns.recent, weight: 1.0), (column: columns.average, weight: -1.0)]
            if let profile = design.profileColumnIndex {
                shifts[.profile] = [(column: columns.recent, weight: 1.0), (column: profile, weight: -1.0)]
            }
        }
        self.shifts = shifts
        anchors = shifts.isEmpty ? [RidgeTrainer.anchor] : allowed.filter { $0 == .lastObserved || shifts[$0] != nil }
        guard matrix.x.rows > matrix.trainingRows else {
            errors = []
            validationSolutions = []
            return
        }
        let base = try RidgeProblem(x: matrix.x, y: matrix.y, rowCount: matrix.trainingRows)
        var pooled = anchors.map { _ in grid.map { _ in WeekWeightedErrors() } }
        var solutions: [[RidgeSolution]] = []
        for (a, anchor) in anchors.enumerated() {
            let problem = anchor == .lastObserved ? base : try base.shiftingTarget(by: shifts[anchor] ?? [])
            let target = Self.anchored(matrix, anchor, shift: shifts[anchor])
            var anchorSolutions: [RidgeSolution] = []
            for (index, penalty) in grid.enumerated() {
                let solution = try problem.solve(penalty: penalty)
                Self.addErrors(solution, target, rows: matrix.trainingRows..<matrix.x.rows, weekend: weekend, to: &pooled[a][index])
                anchorSolutions.append(solution)
            }
            solutions.append(anchorSolutions)
        }
        for fold in folds.dropFirst() {
            guard let (held, order) = Self.holdingOut(fold, from: matrix, rowTimes: rowTimes) else { continue }
            let heldWeekend = order.map { weekend[$0] }
            let foldProblem = try RidgeProblem(x: held.x, y: held.y, rowCount: held.trainingRows)
            for (a, anchor) in anchors.enumerated() {
                let problem = anchor == .lastObserved ? foldProblem : try foldProblem.shiftingTarget(by: shifts[anchor] ?? [])
                let target = Self.anchored(held, anchor, shift: shifts[anchor])
                for (index, penalty) in grid.enumerated() {
                    Self.addErrors(
                        try problem.solve(penalty: penalty), target, rows: held.trainingRows..<held.x.rows, weekend: heldWeekend,
                        to: &pooled[a][index])
                }
            }
        }
        errors = pooled
        validationSolutions = solutions
    }

    /// The cell's anchor (the recent level unless the average validates better by
    /// `RidgeTrainer.anchorMargin`, each with its best penalty; the grid order breaks ties), then
    /// squared or absolute-error
    /// loss (`RobustRidge`) with that penalty on the same folds, the better kept; finally the refit
    /// on all rows with both choices. A cell without validation rows keeps the grid's middle
    /// penalty and absolute-error loss.
    ///
    /// Also returns, per row, the residual (actual minus forecast) of the choices fitted on the
    /// training rows only (empty without validation rows): what trees fitted on the training rows
    /// correct, judged on the validation rows (`DeviationTreeTrainer`).
    func finish(grid: [Double], folds: [Range<EpochMillis>]) throws
        -> (RidgeSolution, RidgeForecastModel.Selection, trainedOnlyResiduals: [Double])
    {
        var best = grid[grid.count / 2]
        var bestAnchor = anchors[0]
        var bestMAE: Double?
        var loss = RidgeForecastModel.Loss.absolute
        var chosen: (anchor: Int, penalty: Int)?
        var trainedOnlyResiduals: [Double] = []
        // The recent level is the default; the average must validate clearly better (by
        // `anchorMargin`) to replace it: a close call on a few validation days went to the
        // average in cells where the recent level was better on the days after.
        for a in anchors.indices where a < errors.count {
            guard let index = bestPenalty(a), let mae = errors[a][index].mae else { continue }
            let margin = a == 0 ? 1 : 1 - RidgeTrainer.anchorMargin
            if chosen.flatMap({ errors[$0.anchor][$0.penalty].mae }).map({ mae < $0 * margin }) ?? true {
                chosen = (a, index)
            }
        }
        if let chosen {
            best = grid[chosen.penalty]
            bestAnchor = anchors[chosen.anchor]
            bestMAE = errors[chosen.anchor][chosen.penalty].mae
            // The loss is chosen on the same folds as the penalty. Chosen on the validation period
            // alone (one Sunday), absolute error won on its flat traffic and then, fitting the
            // median row, missed an industrial neighborhood's weekday 5 a.m. ramp by 330 veh/h at
            // 60 minutes (squared error: 154).
            let target = anchored(matrix, bestAnchor)
            var robustErrors = WeekWeightedErrors()
            let robust = try RobustRidge.fitLeastAbsolute(
                x: matrix.x, y: target.y, rowCount: matrix.trainingRows, penalty: best,
                start: validationSolutions[chosen.anchor][chosen.penalty])
            Self.addErrors(robust, target, rows: matrix.trainingRows..<matrix.x.rows, weekend: weekend, to: &robustErrors)
            for fold in folds.dropFirst() {
                guard let (held, order) = holdingOut(fold) else { continue }
                let heldTarget = anchored(held, bestAnchor)
                let foldRobust = try RobustRidge.fitLeastAbsolute(
                    x: heldTarget.x, y: heldTarget.y, rowCount: heldTarget.trainingRows, penalty: best)
                Self.addErrors(
                    foldRobust, heldTarget, rows: heldTarget.trainingRows..<heldTarget.x.rows, weekend: order.map { weekend[$0] },
                    to: &robustErrors)
            }
            if let robustMAE = robustErrors.mae, let squaredMAE = bestMAE, robustMAE >= squaredMAE {
                loss = .squared
            }
            let trainedOnly = loss == .absolute ? robust : validationSolutions[chosen.anchor][chosen.penalty]
            trainedOnlyResiduals = Self.residuals(trainedOnly, target)
        }
        let y = anchored(matrix, bestAnchor).y
        let final: RidgeSolution
        switch loss {
        case .squared: final = try RidgeProblem(x: matrix.x, y: y).solve(penalty: best)
        case .absolute: final = try RobustRidge.fitLeastAbsolute(x: matrix.x, y: y, penalty: best)
        }
        return (
            final,
            RidgeForecastModel.Selection(
                penalty: best, loss: loss, validationMAE: bestMAE, trainingRows: matrix.trainingRows,
                validationRows: matrix.x.rows - matrix.trainingRows, anchor: shifts.isEmpty ? nil : bestAnchor),
            trainedOnlyResiduals
        )
    }

    /// The grid index with the lowest pooled MAE for anchor `a`, the first of equals.
    private func bestPenalty(_ a: Int) -> Int? {
        errors[a].indices.filter { errors[a][$0].mae != nil }.min { (errors[a][$0].mae ?? 0) < (errors[a][$1].mae ?? 0) }
    }

    /// The matrix with the anchor's target: as built for the recent level, else plus
    /// `Σ weight · x[column]` of `shift`.
    private func anchored(_ matrix: RidgeDesignMatrix, _ anchor: RidgeForecastModel.Anchor) -> RidgeDesignMatrix {
        Self.anchored(matrix, anchor, shift: shifts[anchor])
    }

    private static func anchored(
        _ matrix: RidgeDesignMatrix, _ anchor: RidgeForecastModel.Anchor, shift: [(column: Int, weight: Double)]?
    ) -> RidgeDesignMatrix {
        guard anchor != .lastObserved, let shift else { return matrix }
        var result = matrix
        let p = matrix.x.columns
        matrix.x.values.withUnsafeBufferPointer { xs in
            for r in 0..<matrix.x.rows {
                for term in shift { result.y[r] += term.weight * xs[r * p + term.column] }
            }
        }
        return result
    }

    /// The matrix's rows outside `fold` first (as training rows), then the fold's; nil when the
    /// fold has no rows or leaves too few to fit.
    private func holdingOut(_ fold: Range<EpochMillis>) -> (RidgeDesignMatrix, order: [Int])? {
        Self.holdingOut(fold, from: matrix, rowTimes: rowTimes)
    }

    private static func holdingOut(_ fold: Range<EpochMillis>, from matrix: RidgeDesignMatrix, rowTimes: [EpochMillis])
        -> (RidgeDesignMatrix, order: [Int])?
    {
        let inside = rowTimes.indices.filter { fold.contains(rowTimes[$0]) }
        guard !inside.isEmpty, matrix.x.rows - inside.count >= RidgeTrainer.minimumRegimeRows else { return nil }
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

    private static func residuals(_ solution: RidgeSolution, _ matrix: RidgeDesignMatrix) -> [Double] {
        matrix.x.values.withUnsafeBufferPointer { xs in
            let p = matrix.x.columns
            return (0..<matrix.x.rows).map { r in matrix.y[r] - solution.predict(UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)]))
            }
        }
    }

    private static func addErrors(
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
