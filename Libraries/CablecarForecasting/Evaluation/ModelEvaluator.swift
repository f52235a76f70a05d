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
        var comparisons: [PairedComparison] = []
        let candidateIndex = models.firstIndex { $0.0 == .candidate }
        let productionIndex = models.firstIndex { $0.0 == .production }
        for target in targets {
            for horizon in horizons {
                let examples = data.examples(in: period, target: target, horizonMinutes: horizon)
                var overall = Array(repeating: ErrorAccumulator(mapeFloor: mapeFloor), count: models.count)
                var perNeighborhood = Array(
                    repeating: [String: ErrorAccumulator](), count: models.count)
                var pairedOverall = PairedAccumulator()
                var pairedByNeighborhood: [String: PairedAccumulator] = [:]
                var predictions = Array(repeating: Double?.none, count: models.count)
                for example in examples {
                    let neighborhood = data.rows[example.row].neighborhood
                    for (m, (_, model)) in models.enumerated() {
                        predictions[m] = nil
                        guard model.targets.contains(target) else { continue }
                        let input = data.input(example.row, alignment: alignments[m])
                        guard let predicted = model.predict(input, target: target, horizonMinutes: horizon) else { continue }
                        predictions[m] = predicted
                        overall[m].add(predicted: predicted, actual: example.actual)
                        perNeighborhood[m][neighborhood, default: ErrorAccumulator(mapeFloor: mapeFloor)]
                            .add(predicted: predicted, actual: example.actual)
                    }
                    if let c = candidateIndex, let p = productionIndex, let candidate = predictions[c], let production = predictions[p],
                        candidate.isFinite, production.isFinite
                    {
                        let issueTime = data.rows[example.row].timestamp
                        let (ce, pe) = (candidate - example.actual, production - example.actual)
                        pairedOverall.add(issueTime: issueTime, candidateError: ce, productionError: pe)
                        pairedByNeighborhood[neighborhood, default: PairedAccumulator()]
                            .add(issueTime: issueTime, candidateError: ce, productionError: pe)
                    }
                }
                if let city = pairedOverall.comparison(target: target, horizon: horizon, neighborhood: nil) {
                    comparisons.append(city)
                }
                for neighborhood in pairedByNeighborhood.keys.sorted() {
                    if let comparison = pairedByNeighborhood[neighborhood]?.comparison(
                        target: target, horizon: horizon, neighborhood: neighborhood)
                    {
                        comparisons.append(comparison)
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
        return EvaluationReport(
            testStart: period.lowerBound, testEnd: period.upperBound, cells: cells,
            pairedComparisons: candidateIndex != nil && productionIndex != nil ? comparisons : nil)
    }
}
