import CablecarDomain
import CablecarNumerics

/// The models one training run fits on a snapshot, with the data and periods they were fitted
/// and are to be scored on: the ridge candidate and both baselines (the trainer's recipe, and
/// the benchmarks' that replay it).
public struct FittedModels: Sendable {
    public var data: TrainingData
    public var split: TimeSplit
    public var ridge: RidgeForecastModel
    public var average: HistoricalAverageModel
    public var persistence: PersistenceModel

    /// Splits the snapshot's time range by `parameters`' fractions and fits all three models;
    /// stops with `CancellationError` soon after `cancellation` is set.
    public static func fit(
        snapshot: FeatureSnapshot, parameters: ModelParameters, cancellation: FitCancellation? = nil
    ) throws -> FittedModels {
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return FittedModels(
            data: data, split: split,
            ridge: try RidgeForecastModel.fit(data, split: split, parameters: parameters, cancellation: cancellation),
            average: try HistoricalAverageModel.fit(data, split: split, parameters: parameters),
            persistence: try PersistenceModel.fit(data, split: split, parameters: parameters))
    }

    /// The candidate and both baselines in their evaluation roles.
    public var roles: [(ModelRole, any ForecastModel)] {
        [(.candidate, ridge), (.historicalAverage, average), (.persistence, persistence)]
    }
}
