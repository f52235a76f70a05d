import CablecarDomain
import CablecarRegistryAPI
import Metrics

/// swift-metrics instruments of the registry (Prometheus text at /metrics of the hosting
/// service). Per process; the registry tables are the durable record.
enum RegistryMetrics {
    static func runCreated() { Counter(label: "cablecar_registry_runs_created_total").increment() }

    static func runFinished(_ status: RunStatus) {
        Counter(label: "cablecar_registry_runs_finished_total", dimensions: [("status", status.rawValue)]).increment()
    }

    static func metricPoints(_ count: Int) {
        if count > 0 { Counter(label: "cablecar_registry_metric_points_total").increment(by: count) }
    }

    static func artifactStored(bytes: Int) {
        Counter(label: "cablecar_registry_artifact_bytes_total").increment(by: bytes)
    }

    static func versionRegistered() { Counter(label: "cablecar_registry_versions_registered_total").increment() }

    static func transitioned(to stage: ModelStage, kind: ModelEvent.Kind) {
        Counter(label: "cablecar_registry_transitions_total", dimensions: [("to", stage.rawValue), ("kind", kind.rawValue)]).increment()
    }

    static func eventsPublished(_ count: Int) {
        if count > 0 { Counter(label: "cablecar_registry_events_published_total").increment(by: count) }
    }

    static func eventPublishFailed() { Counter(label: "cablecar_registry_event_publish_failures_total").increment() }
}
