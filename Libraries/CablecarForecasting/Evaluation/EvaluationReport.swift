import CablecarDomain
import CablecarNumerics

/// The role a model plays in an evaluation.
public enum ModelRole: String, Codable, Sendable, CaseIterable {
    case candidate
    case historicalAverage = "historical_average"
    case persistence
    case production
}

/// One figure of an evaluation: a model's errors for a target and horizon, over the whole city
/// (`neighborhood == nil`) or one neighborhood.
public struct EvaluationCell: Codable, Sendable, Equatable {
    public var model: ModelRole
    public var target: ForecastTarget
    public var horizon: Int
    public var neighborhood: String?
    public var errors: ErrorSummary

    public init(model: ModelRole, target: ForecastTarget, horizon: Int, neighborhood: String?, errors: ErrorSummary) {
        self.model = model
        self.target = target
        self.horizon = horizon
        self.neighborhood = neighborhood
        self.errors = errors
    }
}

/// How a set of models did on the same held-out period.
public struct EvaluationReport: Codable, Sendable, Equatable {
    public var testStart: EpochMillis
    public var testEnd: EpochMillis
    public var cells: [EvaluationCell]
    /// The candidate against production, hour by hour, when both were scored (nil in reports
    /// written before these comparisons).
    public var pairedComparisons: [PairedComparison]?

    public init(
        testStart: EpochMillis, testEnd: EpochMillis, cells: [EvaluationCell], pairedComparisons: [PairedComparison]? = nil
    ) {
        self.testStart = testStart
        self.testEnd = testEnd
        self.cells = cells
        self.pairedComparisons = pairedComparisons
    }

    public func pairedComparison(_ target: ForecastTarget, _ horizon: Int, neighborhood: String?) -> PairedComparison? {
        pairedComparisons?.first { $0.target == target && $0.horizon == horizon && $0.neighborhood == neighborhood }
    }

    enum CodingKeys: String, CodingKey {
        case testStart = "test_start"
        case testEnd = "test_end"
        case cells
        case pairedComparisons = "paired_comparisons"
    }

    public func errors(_ model: ModelRole, _ target: ForecastTarget, _ horizon: Int, neighborhood: String? = nil)
        -> ErrorSummary?
    {
        cells.first { $0.model == model && $0.target == target && $0.horizon == horizon && $0.neighborhood == neighborhood }?
            .errors
    }

    public var models: [ModelRole] { ModelRole.allCases.filter { role in cells.contains { $0.model == role } } }
    public var targets: [ForecastTarget] { Array(Set(cells.map(\.target))).sorted() }
    public var horizons: [Int] { Array(Set(cells.map(\.horizon))).sorted() }
    public var neighborhoods: [String] { Array(Set(cells.compactMap(\.neighborhood))).sorted() }

    /// Flat metric names for the registry, e.g. `test.candidate.speed_kmh.h15.mae` and
    /// `test.candidate.speed_kmh.h15.Mission.mae`.
    public func metrics() -> [(name: String, value: Double)] {
        var result: [(String, Double)] = []
        for cell in cells {
            let scope = cell.neighborhood.map { ".\($0)" } ?? ""
            let prefix = "test.\(cell.model.rawValue).\(cell.target.rawValue).h\(cell.horizon)\(scope)"
            if let mae = cell.errors.mae { result.append(("\(prefix).mae", mae)) }
            if let rmse = cell.errors.rmse { result.append(("\(prefix).rmse", rmse)) }
            if let mape = cell.errors.mape { result.append(("\(prefix).mape", mape)) }
        }
        return result
    }
}
