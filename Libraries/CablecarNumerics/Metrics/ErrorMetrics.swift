/// Forecast error accumulated the traffic-forecasting way: pairs whose actual is missing are
/// excluded (masked) rather than counted as zero, and MAPE ignores actuals whose magnitude is
/// below `mapeFloor` (a near-zero speed or flow would dominate a percentage error).
public struct ErrorAccumulator: Sendable, Equatable, Codable {
    public static let defaultMAPEFloor = 1.0

    public var mapeFloor: Double
    /// Pairs with an actual (the denominator of MAE and RMSE).
    public private(set) var count = 0
    /// Pairs skipped because the actual was missing or not finite.
    public private(set) var masked = 0
    public private(set) var absoluteSum = 0.0
    public private(set) var squaredSum = 0.0
    public private(set) var percentCount = 0
    public private(set) var percentSum = 0.0

    public init(mapeFloor: Double = ErrorAccumulator.defaultMAPEFloor) {
        self.mapeFloor = mapeFloor
    }

    public mutating func add(predicted: Double, actual: Double?) {
        guard let actual, actual.isFinite, predicted.isFinite else {
            masked += 1
            return
        }
        let error = predicted - actual
        count += 1
        absoluteSum += abs(error)
        squaredSum += error * error
        if abs(actual) >= mapeFloor {
            percentCount += 1
            percentSum += abs(error) / abs(actual)
        }
    }

    public mutating func merge(_ other: ErrorAccumulator) {
        count += other.count
        masked += other.masked
        absoluteSum += other.absoluteSum
        squaredSum += other.squaredSum
        percentCount += other.percentCount
        percentSum += other.percentSum
    }

    /// Mean absolute error; `nil` when no pair had an actual.
    public var mae: Double? { count > 0 ? absoluteSum / Double(count) : nil }
    public var rmse: Double? { count > 0 ? (squaredSum / Double(count)).squareRoot() : nil }
    /// Mean absolute percentage error in percent.
    public var mape: Double? { percentCount > 0 ? 100 * percentSum / Double(percentCount) : nil }

    public var summary: ErrorSummary {
        ErrorSummary(count: count, mae: mae, rmse: rmse, mape: mape)
    }
}

/// The figures of an `ErrorAccumulator`, for reports and the registry.
public struct ErrorSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var mae: Double?
    public var rmse: Double?
    public var mape: Double?

    public init(count: Int, mae: Double?, rmse: Double?, mape: Double?) {
        self.count = count
        self.mae = mae
        self.rmse = rmse
        self.mape = mape
    }
}

/// Convenience for whole arrays.
public enum MaskedMetrics {
    public static func errors(predicted: [Double], actual: [Double?], mapeFloor: Double = ErrorAccumulator.defaultMAPEFloor)
        -> ErrorSummary
    {
        precondition(predicted.count == actual.count, "predicted and actual differ in length")
        var accumulator = ErrorAccumulator(mapeFloor: mapeFloor)
        for i in predicted.indices { accumulator.add(predicted: predicted[i], actual: actual[i]) }
        return accumulator.summary
    }
}
