import CablecarDomain
import CablecarNumerics
import Dispatch
import Synchronization

/// The design matrix of one (target, horizon, neighborhood): training rows first, then
/// validation rows. `y` is the deviation of the actual from the historical average at the
/// target time.
public struct RidgeDesignMatrix: Sendable {
    public var key: String
    public var columns: [String]
    public var x: DenseMatrix
    public var y: [Double]
    public var trainingRows: Int
    /// The `TrainingData` row each matrix row was issued at (empty for derived matrices).
    public var issueRows: [Int] = []
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
    enum Regime: Sendable { case slotAverage, noSlotAverage }
    static let minimumRegimeRows = 100
    static let minimumRegimeSpan: EpochMillis = 86_400_000 - 3_600_000
    /// The anchors a regime's solutions may use, the first preferred (see
    /// `RidgePenaltySearch.finish`). Rows without an average of their slot would be deviations from
    /// a segment mean, which shrank jams to free flow: they use the recent level or, an hour ahead,
    /// the day-type profile. Rows with one choose on validation: with two weeks the slot average
    /// is one other day and the recent level wins; with a month the average is the better place to
    /// shrink to at 30 and 60 minutes (`SimulatedMonthTests`).
    ///
    /// The day-type profile (`HistoricalAverageTable.profileMeans`, over every day of the type) is
    /// an anchor from `profileAnchorMinimumHorizon` on. On the 14-day benchmark it moved speed at 60
    /// minutes from 36.0 to 42.2 % of the reducible error removed; offered at 30 minutes as well, the
    /// main job's retrainings chose differently from production there (Haight's flow, 91 against
    /// 78 veh/h on the drift days) and none was promoted.
    static func anchors(_ regime: Regime, horizon: Int) -> [RidgeForecastModel.Anchor] {
        let profile: [RidgeForecastModel.Anchor] = horizon >= profileAnchorMinimumHorizon ? [.profile] : []
        return regime == .slotAverage ? [.lastObserved, .historicalAverage] + profile : [.lastObserved] + profile
    }

    static let profileAnchorMinimumHorizon = 60

    /// How much better (relative pooled validation MAE) a later anchor of `anchors` must be to be
    /// chosen over the first.
    static let anchorMargin = 0.03
    /// What rows are built as deviations from; the other anchor is fitted on the same Gram
    /// (see `RidgePenaltySearch`).
    static let anchor = RidgeForecastModel.Anchor.lastObserved

    let data: TrainingData
    let split: TimeSplit
    let parameters: ModelParameters
    /// Checked before every cell and every tree.
    var cancellation: FitCancellation?

    func fit(inspect: ((RidgeDesignMatrix, RidgeSolution) -> Void)? = nil) throws -> RidgeForecastModel {
        try parameters.validate()
        let design = RidgeDesign(data: data, period: split.fitting, targetAverageColumn: Self.anchor == .lastObserved)
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        var solutions: [String: RidgeSolution] = [:]
        var selections: [String: RidgeForecastModel.Selection] = [:]
        var fallbackSolutions: [String: RidgeSolution] = [:]
        var fallbackSelections: [String: RidgeForecastModel.Selection] = [:]
        let folds = split.validationFolds()
        var cells: [Cell] = []
        for target in parameters.targets {
            let accumulator = HistoricalAverageAccumulator(data: data, target: target, period: split.fitting)
            guard accumulator.totalCount > 0 else {
                throw ForecastingError.emptyTrainingData("no \(target.rawValue) labels in the fitting period")
            }
            let table = accumulator.table(segments: data.segments)
            tables[target] = table
            let context = CellContext(accumulator: accumulator, freeFlows: table.profileMaxima())
            for horizon in parameters.horizons {
                let training = data.examples(in: split.train, target: target, horizonMinutes: horizon)
                let validation = data.examples(in: split.validation, target: target, horizonMinutes: horizon)
                let byNeighborhood = group(training: training, validation: validation)
                for neighborhood in data.neighborhoods {
                    guard let (train, valid) = byNeighborhood[neighborhood] else { continue }
                    for regime in [Regime.slotAverage, .noSlotAverage] {
                        let regimeTrain = train.filter { self.regime(of: $0, accumulator) == regime }
                        // Too few rows for a regime, or rows from only part of the daily cycle (a
                        // retraining eight hours into a second week has slot averages for that
                        // night and morning only): its forecasts use the other regime's solution,
                        // rather than one fitted on some hours applied to all of them.
                        guard regimeTrain.count >= Self.minimumRegimeRows, spansADay(regimeTrain) else { continue }
                        cells.append(
                            Cell(
                                key: RidgeForecastModel.key(target, horizon, neighborhood), target: target, horizon: horizon,
                                neighborhood: neighborhood, regime: regime, context: context, training: regimeTrain,
                                validation: valid.filter { self.regime(of: $0, accumulator) == regime }))
                    }
                }
            }
        }
        if DeviationTreeTrainer.offered(
            split: split, dataStart: data.rows.lazy.map(\.timestamp).min() ?? data.start, trees: parameters.treeCount)
        {
            var trainingRows: [String: Int] = [:]
            for cell in cells { trainingRows[cell.family, default: 0] += cell.training.count }
            for index in cells.indices where cells[index].horizon <= DeviationTreeTrainer.longestHorizon {
                cells[index].treeStride = DeviationTreeTrainer.stride(trainingRows: trainingRows[cells[index].family] ?? 0)
            }
        }
        // Cells are independent: both cores fit them (the benchmark's inspector, which wants them
        // in order, gets them one by one). Each result lands in its own slot and they are
        // gathered in cell order, so the artifact does not depend on which finished first.
        let fitting = cells
        let results: [Int: Result<(RidgeSolution, RidgeForecastModel.Selection, DeviationTreeTrainer.Sample?), any Error>]
        if let inspect {
            results = Dictionary(
                uniqueKeysWithValues: cells.indices.map { index in
                    (index, Result { try fit(cells[index], design: design, folds: folds, inspect: inspect) })
                })
        } else {
            results = Self.onEveryCore(count: fitting.count) { index in
                try self.fit(fitting[index], design: design, folds: folds, inspect: nil)
            }
        }
        var samples: [String: DeviationTreeTrainer.Sample] = [:]
        var families: [String] = []
        for (index, cell) in cells.enumerated() {
            guard let outcome = results[index] else { continue }
            let (solution, selection, sample) = try outcome.get()
            if let sample {
                if samples[cell.family] == nil { families.append(cell.family) }
                samples[cell.family, default: DeviationTreeTrainer.Sample()].append(sample)
            }
            switch cell.regime {
            case .slotAverage:
                solutions[cell.key] = solution
                selections[cell.key] = selection
            case .noSlotAverage:
                fallbackSolutions[cell.key] = solution
                fallbackSelections[cell.key] = selection
            }
        }
        let treeTrainer = DeviationTreeTrainer(
            designColumns: design.columnCount, neighborhoods: data.neighborhoods, trees: parameters.treeCount,
            cancellation: cancellation)
        let treeSamples = families.map { samples[$0, default: DeviationTreeTrainer.Sample()] }
        let treeLayouts = families.map { family in
            cells.first { $0.family == family }.flatMap { TreeInputLayout(columnNames: design.columnNames, target: $0.target) }
        }
        let fittedTrees = Self.onEveryCore(count: treeSamples.count) { index in
            try treeTrainer.fit(treeSamples[index], layout: treeLayouts[index])
        }
        var trees: [String: DeviationTrees] = [:]
        var treeTrials: [String: DeviationTrees.Evidence] = [:]
        for (index, family) in families.enumerated() {
            guard let trial = try fittedTrees[index]?.get() else { continue }
            treeTrials[family] = trial.evidence
            trees[family] = trial.trees
        }
        return RidgeForecastModel(
            targets: parameters.targets, horizons: parameters.horizons, design: design, historicalAverage: tables,
            solutions: solutions, selections: selections, fallbackSolutions: fallbackSolutions,
            fallbackSelections: fallbackSelections, anchor: Self.anchor, trees: trees, treeTrials: treeTrials)
    }

    /// Runs `work` for every index on every core, each result in its own slot.
    private static func onEveryCore<T: Sendable>(count: Int, _ work: @Sendable (Int) throws -> T) -> [Int: Result<T, any Error>] {
        let outcomes = Mutex([Int: Result<T, any Error>]())
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let outcome = Result { try work(index) }
            outcomes.withLock { $0[index] = outcome }
        }
        return outcomes.withLock { $0 }
    }

    /// What every cell of one target shares: its averages and each segment's free flow.
    private struct CellContext: Sendable {
        var accumulator: HistoricalAverageAccumulator
        var freeFlows: [Double?]
    }

    /// One (target, horizon, neighborhood, regime) to fit, with its rows.
    private struct Cell: Sendable {
        var key: String
        var target: ForecastTarget
        var horizon: Int
        var neighborhood: String
        var regime: Regime
        var context: CellContext
        var training: [TrainingData.Example]
        var validation: [TrainingData.Example]
        /// Every how many training rows one is sampled for the trees; nil when none are offered.
        var treeStride: Int?

        /// The target and horizon: what one set of trees answers.
        var family: String { RidgeForecastModel.treeKey(target, horizon) }
    }

    private func fit(
        _ cell: Cell, design: RidgeDesign, folds: [Range<EpochMillis>], inspect: ((RidgeDesignMatrix, RidgeSolution) -> Void)?
    ) throws -> (RidgeSolution, RidgeForecastModel.Selection, DeviationTreeTrainer.Sample?) {
        try cancellation?.check()
        let examples = cell.training + cell.validation
        let accumulator = cell.context.accumulator
        let matrix = buildMatrix(
            key: cell.key, design: design, accumulator: accumulator, freeFlows: cell.context.freeFlows, target: cell.target,
            horizon: cell.horizon, regime: cell.regime, examples: examples, trainingRows: cell.training.count)
        let weekend = examples.map { accumulator.clock.isWeekend(data.rows[$0.labelRow].timestamp) }
        let search = try RidgePenaltySearch(
            matrix, design: design, anchors: Self.anchors(cell.regime, horizon: cell.horizon),
            rowTimes: examples.map { data.rows[$0.row].timestamp }, weekend: weekend, folds: folds, grid: parameters.penaltyGrid)
        let (solution, selection, residuals) = try search.finish(grid: parameters.penaltyGrid, folds: folds)
        inspect?(matrix, solution)
        let sample = cell.treeStride.map { stride in
            treeSample(cell, matrix: matrix, weekend: weekend, ridgeResiduals: residuals, stride: stride)
        }
        return (solution, selection, sample)
    }

    /// The cell's rows for the trees (see `DeviationTreeTrainer.Sample`); validation rows only
    /// with the residuals of a ridge fitted on the training rows to judge them against.
    private func treeSample(
        _ cell: Cell, matrix: RidgeDesignMatrix, weekend: [Bool], ridgeResiduals: [Double], stride: Int
    ) -> DeviationTreeTrainer.Sample {
        var sample = DeviationTreeTrainer.Sample()
        let neighborhood = data.neighborhoods.firstIndex(of: cell.neighborhood).map(Double.init) ?? .nan
        let layout = TreeInputLayout(columnNames: matrix.columns, target: cell.target)
        let p = matrix.x.columns
        matrix.x.values.withUnsafeBufferPointer { xs in
            func append(row r: Int, to x: inout [Double]) {
                let designRow = UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)])
                x += designRow
                x.append(neighborhood)
                layout?.appendDifferences(of: designRow, to: &x)
            }
            for r in Swift.stride(from: 0, to: matrix.trainingRows, by: stride) {
                append(row: r, to: &sample.trainingX)
                sample.trainingY.append(matrix.y[r])
            }
            guard ridgeResiduals.count == matrix.x.rows else { return }
            let validationStride = max(1, stride / DeviationTreeTrainer.validationDensity)
            for r in Swift.stride(from: matrix.trainingRows, to: matrix.x.rows, by: validationStride) {
                append(row: r, to: &sample.validationX)
                sample.validationY.append(matrix.y[r])
                sample.validationWeekend.append(weekend[r])
                sample.ridgeValidationResiduals.append(ridgeResiduals[r])
            }
        }
        return sample
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
        key: String, design: RidgeDesign, accumulator: HistoricalAverageAccumulator, freeFlows: [Double?], target: ForecastTarget,
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
                var profiles = RowProfiles(
                    own: accumulator.profileMean(around: example.labelRow, data: data, target: target) ?? haTarget)
                if design.readsNeighborhoodProfile(target, horizon: horizon) {
                    profiles.neighborhood = accumulator.neighborhoodProfile?.value(around: example.labelRow, data: data)
                }
                if design.hourMeanFeatures != nil {
                    func profile(stepsBeforeIssue steps: Int) -> Double? {
                        data.row(after: example.row, steps: -steps).flatMap {
                            accumulator.profileMean(around: $0, data: data, target: target)
                        }
                    }
                    profiles.recentWindow = profile(stepsBeforeIssue: RowProfiles.recentWindowMiddleSteps)
                    profiles.hourWindow = profile(stepsBeforeIssue: RowProfiles.hourWindowMiddleSteps)
                    if design.readsSlowdown(target, horizon: horizon) { profiles.freeFlow = freeFlows[segment] }
                }
                let recent = RidgeForecastModel.Anchor.lastObserved.value(
                    lastObserved: design.recentLevel(input, target), average: haTarget)
                design.fill(
                    base + r * p, input: input, horizonMinutes: horizon, haIssue: haIssue, haTarget: haTarget, recent: recent,
                    target: target, profiles: profiles, clock: accumulator.clock)
                y[r] = example.actual - recent
            }
        }
        return RidgeDesignMatrix(
            key: key, columns: design.columnNames, x: x, y: y, trainingRows: trainingRows, issueRows: examples.map(\.row))
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
