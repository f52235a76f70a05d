import CablecarDomain
import Metrics

/// swift-metrics instruments, served as Prometheus text at /metrics. The names are listed in
/// `names` so that a test ties deploy/grafana's dashboard to them.
struct MonitorMetrics: Sendable {
    static let messages = "cablecar_monitor_messages_total"
    static let rejected = "cablecar_monitor_rejected_total"
    static let joined = "cablecar_monitor_pairs_joined_total"
    static let rescored = "cablecar_monitor_pairs_rescored_total"
    static let transitions = "cablecar_monitor_alert_transitions_total"
    static let openAlerts = "cablecar_monitor_alerts_open"
    static let clock = "cablecar_monitor_clock_ms"
    static let evaluatedWindow = "cablecar_monitor_last_evaluated_window_ms"
    static let mae = "cablecar_monitor_mae"
    static let baselineMAE = "cablecar_monitor_baseline_mae"
    static let ratioToBaseline = "cablecar_monitor_mae_ratio_baseline"
    static let ratioToTest = "cablecar_monitor_mae_ratio_test"
    static let pairs = "cablecar_monitor_window_pairs"
    static let drift = "cablecar_monitor_drift_wasserstein"
    static let driftedColumns = "cablecar_monitor_drifted_columns"

    static let names = [
        messages, rejected, joined, rescored, transitions, openAlerts, clock, evaluatedWindow, mae, baselineMAE, ratioToBaseline,
        ratioToTest, pairs, drift, driftedColumns,
    ]

    func consumed(topic: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: Self.messages, dimensions: [("topic", topic)]).increment(by: count)
    }

    func rejected(topic: String) {
        Counter(label: Self.rejected, dimensions: [("topic", topic)]).increment()
    }

    func pairs(joined: Int, rescored: Int) {
        if joined > 0 { Counter(label: Self.joined).increment(by: joined) }
        if rescored > 0 { Counter(label: Self.rescored).increment(by: rescored) }
    }

    func alerts(_ transitions: [MonitorAlert], open: Int) {
        for alert in transitions {
            Counter(label: Self.transitions, dimensions: [("state", alert.state.rawValue), ("neighborhood", alert.neighborhood)])
                .increment()
        }
        Gauge(label: Self.openAlerts).record(open)
    }

    func progress(clock: EpochMillis?, evaluated: EpochMillis?) {
        if let clock { Gauge(label: Self.clock).record(clock) }
        if let evaluated { Gauge(label: Self.evaluatedWindow).record(evaluated) }
    }

    /// The newest evaluated hour's accuracy per neighborhood, target, horizon and role.
    func window(_ rows: [WindowMetrics]) {
        for row in rows {
            let dimensions = [
                ("neighborhood", row.neighborhood), ("target", row.target), ("horizon_min", "\(row.horizonMinutes)"), ("role", row.role),
            ]
            Gauge(label: Self.pairs, dimensions: dimensions).record(row.count)
            if let mae = row.mae { Gauge(label: Self.mae, dimensions: dimensions).record(mae) }
            if let mae = row.baselineMAE { Gauge(label: Self.baselineMAE, dimensions: dimensions).record(mae) }
            if let ratio = row.ratioToBaseline { Gauge(label: Self.ratioToBaseline, dimensions: dimensions).record(ratio) }
            if let ratio = row.ratioToTest { Gauge(label: Self.ratioToTest, dimensions: dimensions).record(ratio) }
        }
    }

    /// The newest drift window per neighborhood: each column's normalized Wasserstein distance,
    /// and how many columns Evidently's default rule calls drifted.
    func drift(_ findings: [DriftFinding]) {
        var drifted: [String: Int] = [:]
        for finding in findings {
            Gauge(label: Self.drift, dimensions: [("neighborhood", finding.neighborhood), ("column", finding.name)])
                .record(finding.shift.normalizedWasserstein)
            drifted[finding.neighborhood, default: 0] += finding.shift.evidentlyDrifted ? 1 : 0
        }
        for (neighborhood, count) in drifted {
            Gauge(label: Self.driftedColumns, dimensions: [("neighborhood", neighborhood)]).record(count)
        }
    }
}
