import CablecarDomain
import CablecarNumerics

/// Model (c): one ridge regression per (target, horizon, neighborhood) over the snapshot
/// features, the last observed values, the historical average at the issue and target time, the
/// day-type profile and calendar terms on the city's clock, predicting the deviation from an
/// anchor (`Anchor`): the recent level, the historical average or the day-type profile at the
/// target time. Each cell
/// chooses its anchor with its penalty on validation (`RidgeTrainer`): the penalty shrinks
/// toward the anchor, and which is the better place to shrink to depends on how much history
/// the average has. The model is then refitted on train + validation with both choices.
/// A neighborhood without a fitted model (or unknown) gets the historical average; a cell the
/// gates routed to a baseline (`baselineRoutes`) gets that baseline. A target and horizon where
/// boosted trees on the same design rows validated better (`trees`) is answered by them.
public struct RidgeForecastModel: ForecastModel {
    public static let kind = "ridge"

    /// The loss a model was fitted with: squared error (plain ridge) or absolute error
    /// (`RobustRidge`), whichever scored better on the validation period.
    public enum Loss: String, Codable, Sendable {
        case squared, absolute
    }

    /// What a forecast is a deviation from. The historical average (the slot's, or the segment
    /// mean where the slot has none) was the only choice; fitted under a penalty, the deviation
    /// shrank toward it, so a segment in a jam was forecast near free flow (30 minutes ahead, at
    /// 4 km/h, 32 km/h), and with two weeks of data, where the leave-one-out average of a slot is
    /// one other day, the model lost to persistence at every horizon. Anchored on the recent
    /// level (`lastObserved`: the 15-minute mean, else the last value), shrinkage falls back to a
    /// smoothed persistence. With a month of history the average is the better anchor at 60
    /// minutes (1.2 km/h against 1.6 anchored on the recent level), so each cell chooses. The
    /// day-type profile (`profile`: the mean over every day of the type at the target time) is the
    /// third choice an hour ahead (`RidgeTrainer.anchors`); two weeks give it several days where
    /// the week's slot has one or two.
    public enum Anchor: String, Codable, Sendable {
        case historicalAverage = "historical_average"
        case lastObserved = "last_observed"
        case profile

        /// The anchor's value for a forecast; the average when nothing was observed.
        func value(lastObserved: Double?, average: Double) -> Double {
            guard self == .lastObserved, let lastObserved, lastObserved.isFinite else { return average }
            return lastObserved
        }
    }

    /// What the penalty search found for one (target, horizon, neighborhood).
    public struct Selection: Codable, Sendable, Equatable {
        public var penalty: Double
        public var loss: Loss
        public var validationMAE: Double?
        public var trainingRows: Int
        public var validationRows: Int
        /// What this cell's solution is a deviation from, chosen on validation with the penalty;
        /// nil in artifacts written before the choice (the model's `anchor` then).
        public var anchor: Anchor?

        public init(
            penalty: Double, loss: Loss, validationMAE: Double?, trainingRows: Int, validationRows: Int, anchor: Anchor? = nil
        ) {
            self.penalty = penalty
            self.loss = loss
            self.validationMAE = validationMAE
            self.trainingRows = trainingRows
            self.validationRows = validationRows
            self.anchor = anchor
        }

        enum CodingKeys: String, CodingKey {
            case penalty, loss, anchor
            case validationMAE = "validation_mae"
            case trainingRows = "training_rows"
            case validationRows = "validation_rows"
        }
    }

    struct Body: Codable {
        var targets: [ForecastTarget]
        var horizons: [Int]
        var design: RidgeDesign
        var historicalAverage: [String: HistoricalAverageTable]
        var solutions: [String: RidgeSolution]
        var selections: [String: Selection]
        /// Absent in artifacts written before the two regimes (see `RidgeTrainer`).
        var fallbackSolutions: [String: RidgeSolution]?
        var fallbackSelections: [String: Selection]?
        /// Absent in artifacts anchored on the historical average.
        var anchor: Anchor?
        /// Absent when no cell is routed (and in artifacts written before routing).
        var baselineRoutes: [BaselineRoute]?
        /// Absent when no target and horizon is answered by trees.
        var trees: [String: DeviationTrees]?
        /// Absent when no trees were tried.
        var treeTrials: [String: DeviationTrees.Evidence]?

        enum CodingKeys: String, CodingKey {
            case targets, horizons, design
            case historicalAverage = "historical_average"
            case solutions, selections
            case fallbackSolutions = "solutions_without_slot_average"
            case fallbackSelections = "selections_without_slot_average"
            case anchor
            case baselineRoutes = "baseline_routes"
            case trees = "deviation_trees"
            case treeTrials = "deviation_tree_trials"
        }
    }

    public let targets: [ForecastTarget]
    public let horizons: [Int]
    let design: RidgeDesign
    let historicalAverage: [ForecastTarget: HistoricalAverageTable]
    public let solutions: [String: RidgeSolution]
    public let selections: [String: Selection]
    /// Solutions for forecasts whose target slot has no average of its own (fitted against the
    /// segment mean); empty for artifacts written before them.
    public let fallbackSolutions: [String: RidgeSolution]
    public let fallbackSelections: [String: Selection]
    /// What solutions whose selection names no anchor predict deviations from (artifacts written
    /// before the choice).
    public let anchor: Anchor
    /// Cells answered by a baseline instead of the regression (see `BaselineRoute`).
    public let baselineRoutes: [BaselineRoute]
    /// Per target and horizon (`treeKey`), trees that answer in place of the solutions where no
    /// baseline route does (see `DeviationTreeTrainer`).
    public let trees: [String: DeviationTrees]
    /// Per target and horizon where trees were fitted, how they validated against the ridge,
    /// served or not.
    public let treeTrials: [String: DeviationTrees.Evidence]
    let routeIndex: [String: ModelRole]
    let segmentIndex: [String: Int]
    /// Per segment of the speed table, its free-flow speed (`HistoricalAverageTable.profileMaxima`).
    let freeFlowSpeeds: [Double?]

    public var featureNames: [String] { design.featureNames }
    public var designColumns: [String] { design.columnNames }

    /// The historical average the model predicts deviations from (and the fallback a server
    /// answers with when the model cannot), per target.
    public func historicalAverageTable(_ target: ForecastTarget) -> HistoricalAverageTable? { historicalAverage[target] }

    public static func key(_ target: ForecastTarget, _ horizon: Int, _ neighborhood: String) -> String {
        "\(target.rawValue)|\(horizon)|\(neighborhood)"
    }

    public static func treeKey(_ target: ForecastTarget, _ horizon: Int) -> String { "\(target.rawValue)|\(horizon)" }

    init(
        targets: [ForecastTarget], horizons: [Int], design: RidgeDesign,
        historicalAverage: [ForecastTarget: HistoricalAverageTable], solutions: [String: RidgeSolution],
        selections: [String: Selection], fallbackSolutions: [String: RidgeSolution] = [:],
        fallbackSelections: [String: Selection] = [:], anchor: Anchor = .historicalAverage,
        baselineRoutes: [BaselineRoute] = [], trees: [String: DeviationTrees] = [:],
        treeTrials: [String: DeviationTrees.Evidence] = [:]
    ) {
        self.anchor = anchor
        self.trees = trees
        self.treeTrials = treeTrials
        self.targets = targets
        self.horizons = horizons
        self.design = design
        self.historicalAverage = historicalAverage
        self.solutions = solutions
        self.selections = selections
        self.fallbackSolutions = fallbackSolutions
        self.fallbackSelections = fallbackSelections
        self.baselineRoutes = baselineRoutes
        routeIndex = Dictionary(
            baselineRoutes.map { (Self.key($0.target, $0.horizon, $0.neighborhood), $0.baseline) },
            uniquingKeysWith: { first, _ in first })
        let segments = historicalAverage.values.first?.segments ?? []
        segmentIndex = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1, $0) })
        freeFlowSpeeds = historicalAverage[.speed]?.profileMaxima() ?? []
    }

    public static func fit(_ data: TrainingData, split: TimeSplit, parameters: ModelParameters) throws -> Self {
        try fit(data, split: split, parameters: parameters, cancellation: nil)
    }

    /// Fits as above, stopping with `CancellationError` within a cell or a tree of `cancellation`
    /// being set.
    public static func fit(
        _ data: TrainingData, split: TimeSplit, parameters: ModelParameters, cancellation: FitCancellation?
    ) throws -> Self {
        try RidgeTrainer(data: data, split: split, parameters: parameters, cancellation: cancellation).fit()
    }

    public func predict(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Double? {
        switch plan(input, target: target, horizonMinutes: horizonMinutes) {
        case nil: return nil
        case .baseline(let value): return value
        case .regression(let regression):
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: design.columnCount) { row in
                guard let pointer = row.baseAddress else { return regression.base }
                regression.fill(pointer, design)
                return regression.base + regression.solution.predict(UnsafeBufferPointer(row))
            }
        case .trees(let regression, let trees):
            let columns = design.columnCount
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: trees.width(designColumns: columns)) { row in
                guard let pointer = row.baseAddress else { return regression.recent }
                regression.fill(pointer, design)
                trees.complete(row, designColumns: columns, neighborhood: regression.input.neighborhood)
                let fromTrees = regression.recent + trees.deviation(UnsafeBufferPointer(row))
                guard trees.weight < 1 else { return fromTrees }
                let fromRidge = regression.base + regression.solution.predict(UnsafeBufferPointer(rebasing: row[0..<columns]))
                return trees.weight * fromTrees + (1 - trees.weight) * fromRidge
            }
        }
    }

    /// Whether trees answer forecasts of `target` at `horizonMinutes` (where no baseline route
    /// does).
    public func servesTrees(target: ForecastTarget, horizonMinutes: Int) -> Bool {
        trees[Self.treeKey(target, horizonMinutes)] != nil
    }

    /// The design row a forecast is made from and the anchor it is a deviation from; nil where
    /// a baseline answers. For benchmarks that fit other model families on the same inputs.
    public func designRow(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> (row: [Double], base: Double)? {
        let regression: Regression
        switch plan(input, target: target, horizonMinutes: horizonMinutes) {
        case .regression(let planned), .trees(let planned, _): regression = planned
        case .baseline, nil: return nil
        }
        var row = Array(repeating: 0.0, count: design.columnCount)
        row.withUnsafeMutableBufferPointer { buffer in
            if let pointer = buffer.baseAddress { regression.fill(pointer, design) }
        }
        return (row, regression.base)
    }

    /// How a forecast is answered: by a baseline's value, by a solution over a design row, or by
    /// trees over the same row and the neighborhood.
    private enum Plan {
        case baseline(Double)
        case regression(Regression)
        case trees(Regression, DeviationTrees)
    }

    private struct Regression {
        var solution: RidgeSolution
        var base: Double
        var input: ModelInput
        var target: ForecastTarget
        var horizonMinutes: Int
        var haIssue: Double
        var haTarget: Double
        var recent: Double
        var profiles: RowProfiles
        var clock: LocalClock

        func fill(_ row: UnsafeMutablePointer<Double>, _ design: RidgeDesign) {
            design.fill(
                row, input: input, horizonMinutes: horizonMinutes, haIssue: haIssue, haTarget: haTarget, recent: recent,
                target: target, profiles: profiles, clock: clock)
        }
    }

    private func plan(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Plan? {
        guard let table = historicalAverage[target] else { return nil }
        let segment = segmentIndex[input.segmentID]
        let targetTime = input.issueTime + EpochMillis(horizonMinutes) * 60_000
        let key = Self.key(target, horizonMinutes, input.neighborhood)
        if !routeIndex.isEmpty, let baseline = routeIndex[key] {
            if baseline == .persistence, let last = input.lastObserved(target), last.isFinite { return .baseline(last) }
            return .baseline(table.value(segment: segment, time: targetTime))
        }
        let slotAverage = table.slotMean(segment: segment, time: targetTime)
        // The regime the trainer fitted for rows like this one (see `RidgeTrainer`); an artifact
        // without a solution for it uses the other, with that regime's averages.
        let haTarget: Double
        let haIssue: Double
        let solution: RidgeSolution
        let selection: Selection?
        if let slotAverage, let (chosen, solved) = Self.lookup(solutions, [key]) {
            (haTarget, haIssue, solution, selection) = (
                slotAverage, table.value(segment: segment, time: input.issueTime), solved, selections[chosen]
            )
        } else if let (chosen, solved) = Self.lookup(fallbackSolutions, [key]) {
            let fallback = table.fallback(segment: segment)
            (haTarget, haIssue, solution, selection) = (fallback, fallback, solved, fallbackSelections[chosen])
        } else if let oldSolution = solutions[key] {
            (haTarget, haIssue, solution, selection) = (
                slotAverage ?? table.fallback(segment: segment), table.value(segment: segment, time: input.issueTime), oldSolution,
                selections[key]
            )
        } else {
            return .baseline(table.value(segment: segment, time: targetTime))
        }
        let recent = Anchor.lastObserved.value(lastObserved: design.recentLevel(input, target), average: haTarget)
        let profile = table.profileMean(segment: segment, time: targetTime) ?? haTarget
        let base: Double
        switch selection?.anchor ?? anchor {
        case .lastObserved: base = recent
        case .historicalAverage: base = haTarget
        case .profile: base = profile
        }
        let profiles = RowProfiles(
            own: profile, neighborhood: table.neighborhoodProfileMean(segment: segment, time: targetTime),
            recentWindow: table.profileMean(segment: segment, time: input.issueTime - RowProfiles.recentWindowMiddle),
            hourWindow: table.profileMean(segment: segment, time: input.issueTime - RowProfiles.hourWindowMiddle),
            freeFlow: design.readsSlowdown(target, horizon: horizonMinutes)
                ? segment.flatMap { freeFlowSpeeds.indices.contains($0) ? freeFlowSpeeds[$0] : nil } : nil)
        let regression = Regression(
            solution: solution, base: base, input: input, target: target, horizonMinutes: horizonMinutes, haIssue: haIssue,
            haTarget: haTarget, recent: recent, profiles: profiles, clock: table.clock)
        if !trees.isEmpty, let trees = trees[Self.treeKey(target, horizonMinutes)] { return .trees(regression, trees) }
        return .regression(regression)
    }

    /// The first of `keys` that `solutions` holds, with its solution.
    private static func lookup(_ solutions: [String: RidgeSolution], _ keys: [String]) -> (String, RidgeSolution)? {
        for key in keys { if let solution = solutions[key] { return (key, solution) } }
        return nil
    }

    public func artifact() throws -> [UInt8] {
        try ArtifactCodec.encode(
            kind: Self.kind,
            body: Body(
                targets: targets, horizons: horizons, design: design,
                historicalAverage: Dictionary(uniqueKeysWithValues: historicalAverage.map { ($0.key.rawValue, $0.value) }),
                solutions: solutions, selections: selections,
                fallbackSolutions: fallbackSolutions.isEmpty ? nil : fallbackSolutions,
                fallbackSelections: fallbackSelections.isEmpty ? nil : fallbackSelections,
                anchor: anchor == .historicalAverage ? nil : anchor,
                baselineRoutes: baselineRoutes.isEmpty ? nil : baselineRoutes, trees: trees.isEmpty ? nil : trees,
                treeTrials: treeTrials.isEmpty ? nil : treeTrials))
    }

    /// This model with `routes` answered by their baselines (replacing any routes it had).
    public func routingToBaselines(_ routes: [BaselineRoute]) -> RidgeForecastModel {
        RidgeForecastModel(
            targets: targets, horizons: horizons, design: design, historicalAverage: historicalAverage, solutions: solutions,
            selections: selections, fallbackSolutions: fallbackSolutions, fallbackSelections: fallbackSelections,
            anchor: anchor, baselineRoutes: routes, trees: trees, treeTrials: treeTrials)
    }

    public func servedBaseline(neighborhood: String, target: ForecastTarget, horizonMinutes: Int) -> ModelRole? {
        routeIndex.isEmpty ? nil : routeIndex[Self.key(target, horizonMinutes, neighborhood)]
    }

    public static func load(artifact: [UInt8]) throws -> Self {
        let body = try ArtifactCodec.decode(kind: kind, artifact, as: Body.self)
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        for (name, table) in body.historicalAverage {
            guard let target = ForecastTarget(rawValue: name) else {
                throw ForecastingError.invalidArtifact("unknown target '\(name)'")
            }
            tables[target] = table
        }
        try HistoricalAverageTable.validate(tables.values)
        try body.design.validate()
        for (key, solution) in Array(body.solutions) + Array(body.fallbackSolutions ?? [:])
        where solution.coefficients.count != body.design.columnCount {
            throw ForecastingError.invalidArtifact(
                "solution '\(key)' has \(solution.coefficients.count) coefficients for \(body.design.columnCount) design columns")
        }
        for route in body.baselineRoutes ?? [] {
            guard BaselineRoute.baselines.contains(route.baseline), body.targets.contains(route.target),
                body.horizons.contains(route.horizon)
            else {
                throw ForecastingError.invalidArtifact(
                    "baseline route '\(route)' names no baseline, target or horizon the model has")
            }
        }
        for (key, trees) in body.trees ?? [:] {
            guard body.targets.contains(where: { target in body.horizons.contains { treeKey(target, $0) == key } }) else {
                throw ForecastingError.invalidArtifact("deviation trees '\(key)' name no target and horizon the model has")
            }
            try trees.validate(designColumns: body.design.columnCount)
        }
        return Self(
            targets: body.targets, horizons: body.horizons, design: body.design, historicalAverage: tables,
            solutions: body.solutions, selections: body.selections, fallbackSolutions: body.fallbackSolutions ?? [:],
            fallbackSelections: body.fallbackSelections ?? [:], anchor: body.anchor ?? .historicalAverage,
            baselineRoutes: body.baselineRoutes ?? [], trees: body.trees ?? [:], treeTrials: body.treeTrials ?? [:])
    }
}
