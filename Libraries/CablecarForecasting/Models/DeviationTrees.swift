import CablecarNumerics

/// Boosted trees that forecast one target at one horizon as a deviation from the recent level,
/// from the ridge's own design row plus the neighborhood's index: one model for every
/// neighborhood of the city, fitted on absolute error (`BoostedTrees.Loss.absolute`). A ridge
/// model serves them in place of its solutions for their target and horizon when they validated
/// better than the ridge (`DeviationTreeTrainer`); baseline routes still come first.
public struct DeviationTrees: Codable, Sendable, Equatable {
    public let trees: BoostedTrees
    /// The neighborhoods in the order of the index column; one not listed reads as missing.
    public let neighborhoods: [String]
    public let evidence: Evidence
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

    public init(trees: BoostedTrees, neighborhoods: [String], evidence: Evidence) {
        self.trees = trees
        self.neighborhoods = neighborhoods
        self.evidence = evidence
        neighborhoodIndex = Dictionary(neighborhoods.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    enum CodingKeys: String, CodingKey {
        case trees, neighborhoods, evidence
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            trees: try container.decode(BoostedTrees.self, forKey: .trees),
            neighborhoods: try container.decode([String].self, forKey: .neighborhoods),
            evidence: try container.decode(Evidence.self, forKey: .evidence))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trees, forKey: .trees)
        try container.encode(neighborhoods, forKey: .neighborhoods)
        try container.encode(evidence, forKey: .evidence)
    }

    /// The value of the last column of a row: the neighborhood's index, NaN (missing) for one the
    /// trees never saw.
    func neighborhoodColumn(_ neighborhood: String) -> Double {
        neighborhoodIndex[neighborhood].map(Double.init) ?? .nan
    }

    /// The forecast's deviation from the recent level, for a design row of `designColumns`
    /// values followed by the neighborhood's column.
    func deviation(_ row: UnsafeBufferPointer<Double>) -> Double { trees.predict(row) }

    /// The trees' share of the served forecast; the ridge's solution answers the rest.
    public var weight: Double { evidence.weight ?? 1 }

    /// Refuses trees that do not read the design they are served with (one more column for the
    /// neighborhood) or that `BoostedTrees.validate` refuses.
    func validate(designColumns: Int) throws {
        do {
            try trees.validate()
        } catch {
            throw ForecastingError.invalidArtifact("deviation trees: \(error)")
        }
        guard trees.featureCount == designColumns + 1, !neighborhoods.isEmpty, evidence.validationMAE.isFinite,
            evidence.ridgeValidationMAE.isFinite
        else {
            throw ForecastingError.invalidArtifact(
                "deviation trees read \(trees.featureCount) columns for a design of \(designColumns) plus the neighborhood, "
                    + "or have no neighborhoods or evidence")
        }
        guard weight > 0, weight <= 1 else {
            throw ForecastingError.invalidArtifact("deviation trees have a share of \(weight) of the forecast, not in (0, 1]")
        }
    }
}
