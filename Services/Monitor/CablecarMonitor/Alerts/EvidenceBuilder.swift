import Foundation

/// Turns one window's accuracy rows into the tests of the alert rule. Pure.
///
/// Only the production role is judged (canary and shadow are compared, not alerted on). Per
/// neighborhood, target and horizon:
/// - `<target>.h<h>.mae_vs_baseline`: effect = model MAE / fallback MAE; one-sided z-test that
///   the paired difference |model error| - |fallback error| is above 0.
/// - `<target>.h<h>.mae_vs_test`: effect = model MAE / test-period MAE; one-sided z-test that the
///   mean absolute error is above the test-period MAE.
/// - `fallback_share` (data quality): share of the neighborhood's answers given by the fallback;
///   one-sided binomial (normal approximation) test against a tenth of the threshold.
/// - `stale_share` (data quality): share of the model's answers made on stale or missing features
///   (older than `CABLECAR_MONITOR_STALE_MINUTES`), same threshold and test as `fallback_share`.
public enum EvidenceBuilder {
    public static func evidence(from rows: [WindowMetrics], rule: AlertRule) -> [AlertEvidence] {
        var result: [AlertEvidence] = []
        for row in rows where row.role == "production" {
            let scope = "\(row.target).h\(row.horizonMinutes)"
            if let ratio = row.ratioToBaseline, let mean = row.pairedDiffMean {
                result.append(
                    AlertEvidence(
                        kind: .accuracy, modelName: row.modelName, modelVersion: row.modelVersion, neighborhood: row.neighborhood,
                        metric: "\(scope).mae_vs_baseline", effect: ratio, threshold: rule.baselineRatio,
                        pValue: upperTailP(excess: mean, sd: row.pairedDiffSD, n: row.pairedCount), sampleSize: row.pairedCount))
            }
            if let ratio = row.ratioToTest, let mae = row.mae, let testMAE = row.testMAE {
                result.append(
                    AlertEvidence(
                        kind: .accuracy, modelName: row.modelName, modelVersion: row.modelVersion, neighborhood: row.neighborhood,
                        metric: "\(scope).mae_vs_test", effect: ratio, threshold: rule.testRatio,
                        pValue: upperTailP(excess: mae - testMAE, sd: row.absErrorSD, n: row.count), sampleSize: row.count))
            }
        }
        result += fallbackShares(rows, rule: rule)
        return result
    }

    /// Fallback answers against all answers (production + fallback) per model and neighborhood,
    /// counted once per prediction (the speed rows; the flow rows count the same predictions).
    static func fallbackShares(_ rows: [WindowMetrics], rule: AlertRule) -> [AlertEvidence] {
        struct Key: Hashable {
            var model: String
            var neighborhood: String
        }
        var served: [Key: (total: Int, fallback: Int, stale: Int, production: Int, version: Int)] = [:]
        for row in rows where row.target == "speed_kmh" && (row.role == "production" || row.role == "fallback") {
            let key = Key(model: row.modelName, neighborhood: row.neighborhood)
            var entry = served[key] ?? (0, 0, 0, 0, row.modelVersion)
            entry.total += row.count
            if row.role == "fallback" { entry.fallback += row.count }
            if row.role == "production" {
                entry.version = max(entry.version, row.modelVersion)
                entry.production += row.count
                entry.stale += row.staleCount
            }
            served[key] = entry
        }
        let expected = rule.fallbackShare / 10
        let sd = (expected * (1 - expected)).squareRoot()
        var result: [AlertEvidence] = []
        for (key, entry) in served {
            let share = entry.total > 0 ? Double(entry.fallback) / Double(entry.total) : 0
            result.append(
                AlertEvidence(
                    kind: .quality, modelName: key.model, modelVersion: entry.version, neighborhood: key.neighborhood,
                    metric: "fallback_share", effect: share, threshold: rule.fallbackShare,
                    pValue: upperTailP(excess: share - expected, sd: sd, n: entry.total), sampleSize: entry.total))
            // Stale features: the model answered, but on features older than the stale limit.
            guard entry.production > 0 else { continue }
            let stale = Double(entry.stale) / Double(entry.production)
            result.append(
                AlertEvidence(
                    kind: .quality, modelName: key.model, modelVersion: entry.version, neighborhood: key.neighborhood,
                    metric: "stale_share", effect: stale, threshold: rule.fallbackShare,
                    pValue: upperTailP(excess: stale - expected, sd: sd, n: entry.production), sampleSize: entry.production))
        }
        return result
    }

    /// One-sided p-value of a mean excess over 0 with standard deviation `sd` over `n` values
    /// (normal approximation; the rule requires at least `minimumSamples` values).
    static func upperTailP(excess: Double, sd: Double?, n: Int) -> Double {
        guard n > 1, excess.isFinite else { return 1 }
        guard let sd, sd.isFinite, sd > 0 else { return excess > 0 ? 0 : 1 }
        let z = excess / (sd / Double(n).squareRoot())
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}
