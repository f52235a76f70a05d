import CablecarDomain

/// What a feature describes: one road segment, or one neighborhood (context features are
/// joined onto the segments of their neighborhood).
public enum FeatureEntity: String, Codable, Sendable, CaseIterable {
    case segment
    case neighborhood
}

/// The traffic measurement a traffic transformation reads.
public enum TrafficField: String, Codable, Sendable, CaseIterable {
    case speed
    case flow
    case occupancy
}

/// The context measurement a context transformation reads.
public enum ContextField: String, Codable, Sendable, CaseIterable {
    case precipitation
    case temperature
    case visibility
    case activeScheduledEvents = "active_scheduled_events"
    case activeIncidents = "active_incidents"
    case transitDelay = "transit_delay"
}

public enum NeighborDirection: String, Codable, Sendable, CaseIterable {
    case upstream
    case downstream
}

/// How a feature's value is derived. There is exactly one implementation of each case
/// (`FeatureComputer`), shared by the streaming path and backfill, so training and serving
/// cannot disagree on how a feature is made.
public enum Transformation: Codable, Sendable, Hashable {
    /// The interval that started `intervals` × 5 min before the instant, as known at the instant.
    case lag(field: TrafficField, intervals: Int)
    /// Mean over the intervals that started in `[t − minutes, t)`, as known at `t`; nil when none.
    case rollingMean(field: TrafficField, minutes: Int)
    /// Population standard deviation over the same window; nil with fewer than two values.
    case rollingStd(field: TrafficField, minutes: Int)
    /// The interval starting at `t − days` (the same interval the label covers, days earlier).
    case sameIntervalDaysAgo(field: TrafficField, days: Int)
    /// Mean over neighbor segments of each one's newest value known at `t` (within the TTL).
    case neighborLatest(field: TrafficField, direction: NeighborDirection)
    /// sin/cos of the local (city time zone) time of day or day of week (Monday = 0).
    case timeOfDaySin, timeOfDayCos, dayOfWeekSin, dayOfWeekCos
    /// The newest non-missing value of the segment's neighborhood context known at `t` (within the TTL).
    case contextLatest(field: ContextField)
}

/// A feature declared in code. Registered in the store at start-up: a changed definition must
/// carry a new `version` (the store refuses the same name+version with different content).
public struct FeatureDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var entity: FeatureEntity
    public var sourceTopic: Topic?
    public var transformation: Transformation
    /// Minutes of history the transformation looks at (0 for calendar features).
    public var windowMinutes: Int
    /// A value derived from an interval that ended more than this before the instant is nil.
    public var ttlMinutes: Int
    public var version: Int
    public var owner: String
    public var description: String

    public init(
        name: String, entity: FeatureEntity, sourceTopic: Topic?, transformation: Transformation, windowMinutes: Int,
        ttlMinutes: Int, version: Int = 1, owner: String = "feature-store", description: String
    ) {
        self.name = name
        self.entity = entity
        self.sourceTopic = sourceTopic
        self.transformation = transformation
        self.windowMinutes = windowMinutes
        self.ttlMinutes = ttlMinutes
        self.version = version
        self.owner = owner
        self.description = description
    }

    public var ttlMillis: EpochMillis { EpochMillis(ttlMinutes) * 60_000 }

    enum CodingKeys: String, CodingKey {
        case name, entity, transformation, version, owner, description
        case sourceTopic = "source_topic"
        case windowMinutes = "window_min"
        case ttlMinutes = "ttl_min"
    }
}
