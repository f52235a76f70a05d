import CablecarDomain
import CablecarDrift
import CablecarForecasting

/// The reference a model version's served inputs and outputs are later compared with: per
/// neighborhood, a summary of every feature and of the model's predictions per target and
/// horizon, over the period the model was fitted on (train and validation).
///
/// Rows are taken at an even stride so that at most `rowsPerNeighborhood` of a neighborhood are
/// used: the summaries keep 200 points each, and predicting every row of a month would cost more
/// than the fit.
enum ReferenceProfileBuilder {
    static let rowsPerNeighborhood = 20_000

    static func build(
        data: TrainingData, period: Range<EpochMillis>, model: any ForecastModel, targets: [ForecastTarget], horizons: [Int]
    ) -> ReferenceProfile {
        var rowsByNeighborhood: [String: [Int]] = [:]
        for index in data.rows.indices where period.contains(data.rows[index].timestamp) {
            rowsByNeighborhood[data.rows[index].neighborhood, default: []].append(index)
        }
        var neighborhoods: [String: [String: QuantileSummary]] = [:]
        for (neighborhood, all) in rowsByNeighborhood {
            let stride = max(1, (all.count + rowsPerNeighborhood - 1) / rowsPerNeighborhood)
            let rows = Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }
            var summaries: [String: QuantileSummary] = [:]
            for (feature, name) in data.featureNames.enumerated() {
                summaries[name] = QuantileSummary(values: rows.map { data.rows[$0].values[feature] ?? .nan })
            }
            let inputs = rows.map { data.input($0) }
            for target in targets {
                for horizon in horizons {
                    let predictions = inputs.map { model.predict($0, target: target, horizonMinutes: horizon) ?? .nan }
                    summaries[ReferenceProfile.predictionName(target: target.rawValue, horizonMinutes: horizon)] =
                        QuantileSummary(values: predictions)
                }
            }
            neighborhoods[neighborhood] = summaries.filter { $0.value.count > 0 }
        }
        return ReferenceProfile(
            source: "snapshot \(data.fingerprint), fitting period \(period.lowerBound)..<\(period.upperBound)",
            neighborhoods: neighborhoods)
    }
}
