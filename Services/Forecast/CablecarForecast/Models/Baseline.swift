import CablecarDomain
import CablecarForecasting

/// The historical average a model artifact carries (the ridge model predicts deviations from
/// it; the historical-average model is nothing else): what the service answers with when the
/// model cannot, and the `baseline_*` values of every logged prediction.
public struct Baseline: Sendable {
    let tables: [ForecastTarget: HistoricalAverageTable]
    let segmentIndex: [String: Int]

    /// nil when the artifact carries no historical average (e.g. the persistence model).
    public init?(model: any ForecastModel) {
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        for target in ForecastTarget.allCases {
            if let ridge = model as? RidgeForecastModel, let table = ridge.historicalAverageTable(target) {
                tables[target] = table
            } else if let average = model as? HistoricalAverageModel, let table = average.table(target) {
                tables[target] = table
            }
        }
        guard let first = tables.values.first else { return nil }
        self.tables = tables
        segmentIndex = Dictionary(first.segments.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The average for `segmentID` at the time-of-week slot of `targetTime`; the overall mean
    /// for a segment the training data did not have; nil for a target the artifact lacks.
    public func value(_ target: ForecastTarget, segmentID: String, targetTime: EpochMillis) -> Double? {
        guard let table = tables[target] else { return nil }
        let segment = segmentIndex[segmentID].flatMap { $0 < table.segments.count ? $0 : nil }
        let value = table.value(segment: segment, time: targetTime)
        return value.isFinite ? value : nil
    }
}
