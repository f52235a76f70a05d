import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics set-up; swift-log and swift-metrics allow one bootstrap
/// per process, so this runs once, first thing in `main`.
public enum Observability {
    /// Every metric the process records, served at `/metrics`.
    public static let registry = PrometheusCollectorRegistry()

    public static func bootstrap(level: Logger.Level, format: CommonConfiguration.LogFormat) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
