import CablecarDomain
import CablecarDrift

/// What was served to one model version in one neighborhood during a drift window.
struct ServedSample: Sendable, Equatable {
    /// Feature name → the values given to the model.
    var features: [String: [Double]] = [:]
    /// `prediction.<target>.h<minutes>` → the production model's predictions.
    var predictions: [String: [Double]] = [:]
    /// Distinct hours of the window with at least one served feature row.
    var hoursCovered: Set<EpochMillis> = []
}

/// Compares served samples with a reference profile and turns the result into tests of the alert
/// rule. Pure.
///
/// A window is judged only when it covers most of its hours (`minimumCoverage`, three in four):
/// the reference holds whole days, so a window of night hours alone would differ from it by time of
/// day, not by drift. Not all: a 2-core machine serving at 720x misses whole simulated hours when
/// the request generator stalls (6 of 41 in the main job).
enum DriftEvaluator {
    static let minimumCoverage = 0.75

    static func findings(
        reference: ReferenceProfile, served: [String: ServedSample], model: ModelKey, windowEnd: EpochMillis, windowHours: Int
    ) -> [DriftFinding] {
        let needed = Int((Double(windowHours) * minimumCoverage).rounded(.up))
        var result: [DriftFinding] = []
        for neighborhood in served.keys.sorted() {
            guard let sample = served[neighborhood], sample.hoursCovered.count >= needed,
                let summaries = reference.neighborhoods[neighborhood]
            else { continue }
            for (kind, columns) in [(DriftFinding.Kind.feature, sample.features), (.prediction, sample.predictions)] {
                for name in columns.keys.sorted() {
                    guard let summary = summaries[name], let values = columns[name], let shift = summary.shift(to: values) else { continue }
                    result.append(
                        DriftFinding(
                            windowEnd: windowEnd, windowHours: windowHours, neighborhood: neighborhood, modelName: model.name,
                            modelVersion: model.version, kind: kind, name: name, alerting: !reference.reportOnly.contains(name),
                            shift: shift))
                }
            }
        }
        return result
    }

    /// One test per finding: the normalized Wasserstein distance is the effect (bad at or above
    /// `rule.driftThreshold`), the KS p-value the significance; the engine applies Holm's
    /// correction over every test of the window and the hysteresis.
    static func evidence(_ findings: [DriftFinding], rule: AlertRule) -> [AlertEvidence] {
        findings.filter(\.alerting).map { finding in
            AlertEvidence(
                kind: .drift, modelName: finding.modelName, modelVersion: finding.modelVersion, neighborhood: finding.neighborhood,
                metric: "\(finding.kind.rawValue == "feature" ? "feature." : "")\(finding.name).wasserstein",
                effect: finding.shift.normalizedWasserstein, threshold: rule.driftThreshold, pValue: finding.shift.ksPValue,
                sampleSize: finding.shift.currentCount)
        }
    }
}
