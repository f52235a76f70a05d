import CablecarDomain
import CablecarDrift
import CablecarFeatures
import CablecarForecasting

/// The reference a model version's served inputs and outputs are later compared with: per
/// neighborhood, a summary of every feature and of the model's predictions per target and
/// horizon, over the period the model was fitted on (train and validation).
///
/// Which features: those computed from observations. Calendar features (time of day, day of week)
/// are left out: they are known in advance, and one day of them is by construction not the
/// distribution of a week. Context features (weather, events, incidents, transit) are summarized
/// but marked report-only: a day is one weather regime, so a day against a week differs every
/// day (a normalized Wasserstein distance of 1.3 to 1.7 for temperature and visibility in every
/// neighborhood of the main job), and whether a weather change matters is what the accuracy
/// rules judge.
///
/// Rows are taken at an even stride so that at most `rowsPerNeighborhood` of a neighborhood are
/// used: the summaries keep 200 points each, and predicting every row of a month would cost more
/// than the fit.
enum ReferenceProfileBuilder {
    static let rowsPerNeighborhood = 20_000

    static func build(
        data: TrainingData, period: Range<EpochMillis>, model: any ForecastModel, targets: [ForecastTarget], horizons: [Int],
        catalog: [FeatureDefinition] = FeatureCatalog.current
    ) -> ReferenceProfile {
        let sources = Dictionary(catalog.map { ($0.name, $0.sourceTopic) }, uniquingKeysWith: { first, _ in first })
        // Features the catalog does not know (a newer store) are compared like traffic features.
        let profiled = data.featureNames.enumerated().filter { sources[$0.element] != .some(nil) }
        let reportOnly = Set(profiled.map(\.element).filter { sources[$0] == .some(.observedContext) })
        var rowsByNeighborhood: [String: [Int]] = [:]
        for index in data.rows.indices where period.contains(data.rows[index].timestamp) {
            rowsByNeighborhood[data.rows[index].neighborhood, default: []].append(index)
        }
        var neighborhoods: [String: [String: QuantileSummary]] = [:]
        for (neighborhood, all) in rowsByNeighborhood {
            let stride = max(1, (all.count + rowsPerNeighborhood - 1) / rowsPerNeighborhood)
            let rows = Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }
            var summaries: [String: QuantileSummary] = [:]
            for (feature, name) in profiled {
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
            neighborhoods: neighborhoods, reportOnly: reportOnly)
    }
}
