import CablecarDomain
import Metrics

/// swift-metrics instruments (served as Prometheus text at /metrics by the scaffolding).
/// Counters are per process; the exact, restart-proof totals live in the ledger
/// (GET /api/v1/accounting).
struct IngestMetrics: Sendable {
    func record(_ outcome: BatchOutcome) {
        for (feed, counts) in outcome.byFeed {
            if counts.accepted > 0 { counter(feed, "accepted").increment(by: counts.accepted) }
            if counts.duplicate > 0 { counter(feed, "duplicate").increment(by: counts.duplicate) }
        }
        for (reason, count) in outcome.rejected {
            Counter(label: "cablecar_ingest_rejected_total", dimensions: [("reason", reason.rawValue)]).increment(by: count)
        }
        if outcome.redelivered > 0 { Counter(label: "cablecar_ingest_redelivered_total").increment(by: outcome.redelivered) }
        if outcome.trafficEmitted > 0 {
            Counter(label: "cablecar_ingest_emitted_total", dimensions: [("topic", Topic.observedTraffic.rawValue)]).increment(
                by: outcome.trafficEmitted)
        }
        if outcome.contextEmitted > 0 {
            Counter(label: "cablecar_ingest_emitted_total", dimensions: [("topic", Topic.observedContext.rawValue)]).increment(
                by: outcome.contextEmitted)
        }
    }

    private func counter(_ feed: Feed, _ outcome: String) -> Counter {
        Counter(label: "cablecar_ingest_records_total", dimensions: [("feed", feed.rawValue), ("outcome", outcome)])
    }

    /// Quality gauges per neighborhood, refreshed from the quality report.
    func record(_ report: QualityReport) {
        for neighborhood in report.neighborhoods {
            let dimensions = [("neighborhood", neighborhood.neighborhood)]
            Gauge(label: "cablecar_ingest_completeness", dimensions: dimensions).record(neighborhood.completeness)
            Gauge(label: "cablecar_ingest_stuck_sensors", dimensions: dimensions).record(neighborhood.stuckSensors)
            Gauge(label: "cablecar_ingest_staleness_seconds", dimensions: dimensions).record(neighborhood.stalenessSeconds)
        }
    }
}
