import CablecarDomain
import CablecarNumerics

/// Scores several models on exactly the same examples of a held-out period, per target, horizon,
/// overall and per neighborhood. Missing actuals are masked (never scored as zero).
public enum ModelEvaluator {
    public static func evaluate(
        data: TrainingData, period: Range<EpochMillis>, models: [(ModelRole, any ForecastModel)],
        targets: [ForecastTarget], horizons: [Int], mapeFloor: Double = ErrorAccumulator.defaultMAPEFloor
    ) -> EvaluationReport {
        let alignments = models.map { _, model -> FeatureAlignment? in
            model.featureNames.isEmpty
                ? nil : FeatureAlignment(modelFeatures: model.featureNames, snapshotFeatures: data.featureNames)
        }
        var cells: [EvaluationCell] = []
        for target in targets {
            for horizon in horizons {
                let examples = data.examples(in: period, target: target, horizonMinutes: horizon)
                var overall = Array(repeating: ErrorAccumulator(mapeFloor: mapeFloor), count: models.count)
                var perNeighborhood = Array(
                    repeating: [String: ErrorAccumulator](), count: models.count)
                for example in examples {
                    let neighborhood = data.rows[example.row].neighborhood
                    for (m, (_, model)) in models.enumerated() {
                        guard model.targets.contains(target) else { continue }
                        let input = data.input(example.row, alignment: alignments[m])
                        guard let predicted = model.predict(input, target: target, horizonMinutes: horizon) else { continue }
                        overall[m].add(predicted: predicted, actual: example.actual)
                        perNeighborhood[m][neighborhood, default: ErrorAccumulator(mapeFloor: mapeFloor)]
                            .add(predicted: predicted, actual: example.actual)
                    }
                }
                for (m, (role, _)) in models.enumerated() where overall[m].count > 0 {
                    cells.append(
                        EvaluationCell(model: role, target: target, horizon: horizon, neighborhood: nil, errors: overall[m].summary))
                    for neighborhood in perNeighborhood[m].keys.sorted() {
                        cells.append(
                            EvaluationCell(
                                model: role, target: target, horizon: horizon, neighborhood: neighborhood,
                                errors: perNeighborhood[m][neighborhood]?.summary ?? ErrorAccumulator().summary))
                    }
                }
            }
        }
        return EvaluationReport(testStart: period.lowerBound, testEnd: period.upperBound, cells: cells)
    }
}
