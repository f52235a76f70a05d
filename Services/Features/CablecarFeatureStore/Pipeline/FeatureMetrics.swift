import CablecarDomain
import CablecarFeatures
import Metrics

/// swift-metrics instruments, served as Prometheus text at /metrics.
///
/// Per feature and neighborhood: completeness = share of the newest step's rows with a value;
/// freshness = stream clock minus the newest step in which the feature had any value there.
/// A feature that stops getting data shows completeness 0 and growing freshness seconds.
struct FeatureMetrics: Sendable {
    func consumed(topic: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "cablecar_features_observations_total", dimensions: [("topic", topic)]).increment(by: count)
    }

    func invalid(topic: String) {
        Counter(label: "cablecar_features_invalid_messages_total", dimensions: [("topic", topic)]).increment()
    }

    func stepsCompleted(_ steps: Int, rows: Int) {
        guard steps > 0 else { return }
        Counter(label: "cablecar_features_steps_total").increment(by: steps)
        Counter(label: "cablecar_features_rows_total").increment(by: rows)
    }

    func clock(_ clock: EpochMillis?, lastStep: EpochMillis?) {
        if let clock { Gauge(label: "cablecar_features_stream_clock_ms").record(clock) }
        if let lastStep { Gauge(label: "cablecar_features_last_step_ms").record(lastStep) }
    }

    func quality(_ tracker: QualityTracker) {
        for (key, share) in tracker.completeness {
            Gauge(label: "cablecar_features_completeness", dimensions: [("feature", key.feature), ("neighborhood", key.neighborhood)])
                .record(share)
        }
        for (key, seconds) in tracker.freshnessSeconds() {
            Gauge(label: "cablecar_features_freshness_seconds", dimensions: [("feature", key.feature), ("neighborhood", key.neighborhood)])
                .record(seconds)
        }
    }
}

/// Completeness and freshness per (feature, neighborhood), updated from each completed step.
struct QualityTracker: Sendable {
    struct Key: Hashable, Sendable {
        var feature: String
        var neighborhood: String
    }

    private(set) var completeness: [Key: Double] = [:]
    private(set) var lastWithValue: [Key: EpochMillis] = [:]
    private(set) var clock: EpochMillis = 0

    mutating func record(step: EpochMillis, rows: [FeatureRow], featureNames: [String], clock: EpochMillis?) {
        self.clock = max(self.clock, clock ?? step)
        var present: [Key: Int] = [:]
        var total: [String: Int] = [:]
        for row in rows where row.timestamp == step {
            total[row.neighborhood, default: 0] += 1
            for (index, value) in row.values.enumerated() where value != nil {
                present[Key(feature: featureNames[index], neighborhood: row.neighborhood), default: 0] += 1
            }
        }
        for (neighborhood, count) in total {
            for feature in featureNames {
                let key = Key(feature: feature, neighborhood: neighborhood)
                let have = present[key] ?? 0
                completeness[key] = Double(have) / Double(count)
                if have > 0 { lastWithValue[key] = step }
            }
        }
    }

    func freshnessSeconds() -> [Key: Double] {
        lastWithValue.mapValues { Double(clock - $0) / 1_000 }
    }
}
