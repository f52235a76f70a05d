import Metrics

/// swift-metrics instruments of `cablecar-forecast` (Prometheus text at /metrics).
enum ForecastMetrics {
    static func request(_ endpoint: String, status: Int) {
        Counter(label: "cablecar_forecast_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status))]).increment()
    }

    static func latency(_ endpoint: String, nanoseconds: Int64) {
        Timer(label: "cablecar_forecast_request_duration_seconds", dimensions: [("endpoint", endpoint)]).recordNanoseconds(nanoseconds)
    }

    static func predictions(_ role: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "cablecar_forecast_predictions_total", dimensions: [("role", role)]).increment(by: count)
    }

    static func fallback(_ reason: FallbackReason, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "cablecar_forecast_fallbacks_total", dimensions: [("reason", reason.rawValue)]).increment(by: count)
    }

    /// Forecast values a baseline answered because the model routes the neighborhood to it.
    static func baselineAnswers(_ baseline: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "cablecar_forecast_baseline_routed_total", dimensions: [("baseline", baseline)]).increment(by: count)
    }

    static func modelLoaded(version: Int, role: String) {
        Counter(label: "cablecar_forecast_model_loads_total", dimensions: [("outcome", "loaded"), ("role", role)]).increment()
        Gauge(label: "cablecar_forecast_model_version", dimensions: [("role", role)]).record(version)
    }

    /// A version that could not be loaded (corrupt artifact, unreadable model, registry down).
    static func modelRefused(reason: String) {
        Counter(label: "cablecar_forecast_model_loads_total", dimensions: [("outcome", reason), ("role", "any")]).increment()
    }

    static func logged(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "cablecar_forecast_predictions_logged_total").increment(by: count)
    }

    static func logDropped(_ count: Int, reason: String) {
        guard count > 0 else { return }
        Counter(label: "cablecar_forecast_predictions_log_dropped_total", dimensions: [("reason", reason)]).increment(by: count)
    }

    static func logBuffered(_ count: Int) { Gauge(label: "cablecar_forecast_predictions_log_buffered").record(count) }
}
