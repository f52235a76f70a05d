import Foundation

/// Forecast accuracy of one group: MAE, RMSE, MAPE and bias, accumulated in one pass and
/// mergeable across chunks or replicas.
///
/// Pairs whose actual is missing (nil, NaN or infinite) are masked from every metric, because a
/// forecast that was never observed is neither right nor wrong. MAPE additionally masks zero
/// actuals, where the percentage error is undefined; how many were masked is kept so reports
/// can say so. Bias is mean(predicted − actual): positive means over-forecasting.
public struct AccuracyAccumulator: Sendable, Codable, Equatable {
    public private(set) var count = 0
    public private(set) var missingActuals = 0
    public private(set) var missingPredictions = 0
    public private(set) var zeroActuals = 0
    private var absoluteErrorSum = 0.0
    private var squaredErrorSum = 0.0
    private var errorSum = 0.0
    private var percentageErrorSum = 0.0
    private var percentageCount = 0

    public init() {}

    public mutating func add(actual: Double?, predicted: Double?) {
        guard let actual, actual.isFinite else {
            missingActuals += 1
            return
        }
        guard let predicted, predicted.isFinite else {
            missingPredictions += 1
            return
        }
        let error = predicted - actual
        count += 1
        absoluteErrorSum += abs(error)
        squaredErrorSum += error * error
        errorSum += error
        if actual == 0 {
            zeroActuals += 1
        } else {
            percentageErrorSum += abs(error / actual)
            percentageCount += 1
        }
    }

    public mutating func merge(_ other: AccuracyAccumulator) {
        count += other.count
        missingActuals += other.missingActuals
        missingPredictions += other.missingPredictions
        zeroActuals += other.zeroActuals
        absoluteErrorSum += other.absoluteErrorSum
        squaredErrorSum += other.squaredErrorSum
        errorSum += other.errorSum
        percentageErrorSum += other.percentageErrorSum
        percentageCount += other.percentageCount
    }

    /// The metrics; nil where no pair qualified (never a made-up 0).
    public var metrics: AccuracyMetrics {
        AccuracyMetrics(
            count: count, missingActuals: missingActuals, missingPredictions: missingPredictions, zeroActuals: zeroActuals,
            mae: count > 0 ? absoluteErrorSum / Double(count) : nil,
            rmse: count > 0 ? (squaredErrorSum / Double(count)).squareRoot() : nil,
            mape: percentageCount > 0 ? 100 * percentageErrorSum / Double(percentageCount) : nil,
            bias: count > 0 ? errorSum / Double(count) : nil)
    }
}

/// Accuracy of a group's forecasts. MAPE is in percent.
public struct AccuracyMetrics: Sendable, Codable, Equatable {
    public var count: Int
    public var missingActuals: Int
    public var missingPredictions: Int
    public var zeroActuals: Int
    public var mae: Double?
    public var rmse: Double?
    public var mape: Double?
    public var bias: Double?

    /// Metrics per group in one pass over parallel arrays.
    public static func perGroup(groups: [String], actual: [Double?], predicted: [Double?]) -> [String: AccuracyMetrics] {
        precondition(groups.count == actual.count && actual.count == predicted.count, "perGroup needs arrays of equal length")
        var accumulators: [String: AccuracyAccumulator] = [:]
        for i in groups.indices {
            accumulators[groups[i], default: AccuracyAccumulator()].add(actual: actual[i], predicted: predicted[i])
        }
        return accumulators.mapValues(\.metrics)
    }
}
