/// `obs.context`: what surrounded traffic in one neighborhood over one five-minute interval.
///
/// Units: °C, mm/h, meters, seconds of mean transit delay. A field is absent when no
/// report covered the interval (features treat that as missing, not as zero).
public struct ContextObservation: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.observedContext

    public var version: Int
    public var neighborhood: String
    public var eventTime: EpochMillis
    public var temperatureCelsius: Double?
    public var precipitationMmPerHour: Double?
    public var visibilityMeters: Double?
    public var activeScheduledEvents: Int
    public var activeIncidents: Int
    public var transitDelaySeconds: Double?
    public var transitReports: Int
    public var revision: Int
    public var ingestTime: EpochMillis
    /// The earliest event-time instant this revision may be used at (see `TrafficObservation`).
    public var knownAt: EpochMillis?

    public init(
        version: Int = Self.currentVersion, neighborhood: String, eventTime: EpochMillis,
        temperatureCelsius: Double?, precipitationMmPerHour: Double?, visibilityMeters: Double?,
        activeScheduledEvents: Int, activeIncidents: Int, transitDelaySeconds: Double?, transitReports: Int,
        revision: Int, ingestTime: EpochMillis, knownAt: EpochMillis? = nil
    ) {
        self.version = version
        self.neighborhood = neighborhood
        self.eventTime = eventTime
        self.temperatureCelsius = temperatureCelsius
        self.precipitationMmPerHour = precipitationMmPerHour
        self.visibilityMeters = visibilityMeters
        self.activeScheduledEvents = activeScheduledEvents
        self.activeIncidents = activeIncidents
        self.transitDelaySeconds = transitDelaySeconds
        self.transitReports = transitReports
        self.revision = revision
        self.ingestTime = ingestTime
        self.knownAt = knownAt
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case neighborhood
        case eventTime = "event_time"
        case temperatureCelsius = "temperature_c"
        case precipitationMmPerHour = "precipitation_mm_h"
        case visibilityMeters = "visibility_m"
        case activeScheduledEvents = "active_scheduled_events"
        case activeIncidents = "active_incidents"
        case transitDelaySeconds = "transit_delay_s"
        case transitReports = "transit_reports"
        case revision
        case ingestTime = "ingest_time"
        case knownAt = "known_at"
    }
}
