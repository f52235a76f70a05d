import CablecarNumerics

/// Boosted trees that forecast one target at one horizon as a deviation from the recent level,
/// from the ridge's own design row plus the neighborhood's index and the design's level forecasts
/// as differences from the recent level (`TreeInputLayout`): one model for every
/// neighborhood of the city, fitted on absolute error (`BoostedTrees.Loss.absolute`). A ridge
/// model serves them in place of its solutions for their target and horizon when they validated
/// better than the ridge (`DeviationTreeTrainer`); baseline routes still come first.
public struct DeviationTrees: Codable, Sendable, Equatable {
    public let trees: BoostedTrees
    /// The neighborhoods in the order of the index column; one not listed reads as missing.
    public let neighborhoods: [String]
    public let evidence: Evidence
    /// The differences read after the neighborhood's column; absent in artifacts from before
    /// them, whose trees read the design row and the neighborhood alone.
    public let layout: TreeInputLayout?
    private let neighborhoodIndex: [String: Int]

    /// What the choice of the trees over the ridge rested on: both fitted on the training period
    /// only and scored on the same sampled rows of the validation period (week-weighted MAE, see
    /// `WeekWeightedErrors`).
    public struct Evidence: Codable, Sendable, Equatable {
        public var validationMAE: Double
        public var ridgeValidationMAE: Double
        public var trainingRows: Int
        public var validationRows: Int
        /// Whether the served forecast validated better than the ridge by
        /// `DeviationTreeTrainer.margin`, so the trees are served.
        public var served: Bool
        /// The trees' share of the served forecast, the rest the ridge's
        /// (`DeviationTreeTrainer.weights`); absent (the trees alone) in artifacts from before
        /// the share was chosen.
        public var weight: Double?
        /// The validation MAE of that mixture.
        public var servedValidationMAE: Double?

        public init(
            validationMAE: Double, ridgeValidationMAE: Double, trainingRows: Int, validationRows: Int, served: Bool,
            weight: Double? = nil, servedValidationMAE: Double? = nil
        ) {
            self.validationMAE = validationMAE
            self.ridgeValidationMAE = ridgeValidationMAE
            self.trainingRows = trainingRows
            self.validationRows = validationRows
            self.served = served
            self.weight = weight
            self.servedValidationMAE = servedValidationMAE
        }

        enum CodingKeys: String, CodingKey {
            case validationMAE = "validation_mae"
            case ridgeValidationMAE = "ridge_validation_mae"
            case trainingRows = "training_rows"
            case validationRows = "validation_rows"
            case served, weight
            case servedValidationMAE = "served_validation_mae"
        }
    }

    public init(trees: BoostedTrees, neighborhoods: [String], evidence: Evidence, layout: TreeInputLayout? = nil) {
        self.trees = trees
        self.neighborhoods = neighborhoods
        self.evidence = evidence
        self.layout = layout
        neighborhoodIndex = Dictionary(neighborhoods.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    enum CodingKeys: String, CodingKey {
        case trees, neighborhoods, evidence, layout
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            trees: try container.decode(BoostedTrees.self, forKey: .trees),
            neighborhoods: try container.decode([String].self, forKey: .neighborhoods),
            evidence: try container.decode(Evidence.self, forKey: .evidence),
            layout: try container.decodeIfPresent(TreeInputLayout.self, forKey: .layout))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trees, forKey: .trees)
        try container.encode(neighborhoods, forKey: .neighborhoods)
        try container.encode(evidence, forKey: .evidence)
        try container.encodeIfPresent(layout, forKey: .layout)
    }

    /// The value of the column after the design row: the neighborhood's index, NaN (missing) for
    /// one the trees never saw.
    func neighborhoodColumn(_ neighborhood: String) -> Double {
        neighborhoodIndex[neighborhood].map(Double.init) ?? .nan
    }

    /// Columns of the rows the trees read, for a design of `designColumns`.
    func width(designColumns: Int) -> Int { layout?.width(designColumns: designColumns) ?? designColumns + 1 }

    /// Completes a tree row whose first `designColumns` values are the design row: the
    /// neighborhood's column, then the layout's differences.
    func complete(_ row: UnsafeMutableBufferPointer<Double>, designColumns: Int, neighborhood: String) {
        row[designColumns] = neighborhoodColumn(neighborhood)
        layout?.fillDifferences(row, designColumns: designColumns)
    }

    /// The tree row of a design row, for callers holding one as an array.
    public func row(design: [Double], neighborhood: String) -> [Double] {
        var row = design + Array(repeating: 0, count: width(designColumns: design.count) - design.count)
        row.withUnsafeMutableBufferPointer { complete($0, designColumns: design.count, neighborhood: neighborhood) }
        return row
    }

    /// The forecast's deviation from the recent level, for a completed tree row.
    func deviation(_ row: UnsafeBufferPointer<Double>) -> Double { trees.predict(row) }

    /// The trees' share of the served forecast; the ridge's solution answers the rest.
    public var weight: Double { evidence.weight ?? 1 }

    /// Refuses trees that do not read the design they are served with (one more column for the
    /// neighborhood, and the layout's differences of columns the design has) or that
    /// `BoostedTrees.validate` refuses.
    func validate(designColumns: Int) throws {
        do {
            try trees.validate()
        } catch {
            throw ForecastingError.invalidArtifact("deviation trees: \(error)")
        }
        guard layout?.fits(designColumns: designColumns) ?? true else {
            throw ForecastingError.invalidArtifact(
                "deviation trees read differences of columns outside a design of \(designColumns) columns")
        }
        guard trees.featureCount == width(designColumns: designColumns), !neighborhoods.isEmpty, evidence.validationMAE.isFinite,
            evidence.ridgeValidationMAE.isFinite
        else {
            throw ForecastingError.invalidArtifact(
                "deviation trees read \(trees.featureCount) columns for a design of \(designColumns) plus the neighborhood "
                    + "and \(layout?.levelColumns.count ?? 0) differences, or have no neighborhoods or evidence")
        }
        guard weight > 0, weight <= 1 else {
            throw ForecastingError.invalidArtifact("deviation trees have a share of \(weight) of the forecast, not in (0, 1]")
        }
    }
}
