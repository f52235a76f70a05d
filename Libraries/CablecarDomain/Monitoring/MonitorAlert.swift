/// `monitor.alerts`: one change of an alert's state, written by `cablecar-monitor` and read by
/// the trainer (an `open` alert becomes a retraining request; a `resolved` one does not).
///
/// An alert is about one neighborhood, one metric and one model: it opens after the rule held
/// for `k` consecutive windows and resolves after `m` good ones (docs/monitor.md). Both
/// transitions are published with the same `alert_id`; consumers deduplicate on
/// (`alert_id`, `state`). `value` and `threshold` are the effect size that broke the rule in the
/// window `[window_start, window_end)` (event time of the predictions' targets).
public struct MonitorAlert: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.monitorAlerts

    public enum State: String, Codable, Sendable, CaseIterable {
        case open
        case resolved
    }

    public var version: Int
    public var alertID: String
    /// The end of the window that changed the state (event time).
    public var eventTime: EpochMillis
    public var state: State
    public var neighborhood: String
    /// What was measured, e.g. `speed_kmh.h15.mae_vs_baseline` (docs/monitor.md lists them).
    public var metric: String
    public var value: Double
    public var threshold: Double
    /// The window's length: `hour` or `day`.
    public var window: String
    public var windowStart: EpochMillis
    public var windowEnd: EpochMillis
    public var modelName: String
    public var modelVersion: Int
    public var summary: String

    public init(
        version: Int = Self.currentVersion, alertID: String, eventTime: EpochMillis, state: State, neighborhood: String,
        metric: String, value: Double, threshold: Double, window: String, windowStart: EpochMillis, windowEnd: EpochMillis,
        modelName: String, modelVersion: Int, summary: String
    ) {
        self.version = version
        self.alertID = alertID
        self.eventTime = eventTime
        self.state = state
        self.neighborhood = neighborhood
        self.metric = metric
        self.value = value
        self.threshold = threshold
        self.window = window
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case alertID = "alert_id"
        case eventTime = "event_time"
        case state, neighborhood, metric, value, threshold, window
        case windowStart = "window_start"
        case windowEnd = "window_end"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case summary
    }
}
