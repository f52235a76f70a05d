/// `raw.events`: scheduled events (games, concerts) and incidents (collisions, closures).
///
/// An event is announced once per status change; `event_id` ties the updates together.
public struct CityEvent: SchemaVersioned {
    public static let currentVersion = 1
    public static let topic = Topic.rawEvents

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case game, concert, collision, closure, construction
        public var isScheduled: Bool { self == .game || self == .concert }
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case scheduled, started, ended, cleared
    }

    public var version: Int
    public var eventID: String
    public var kind: Kind
    public var status: Status
    public var eventTime: EpochMillis
    public var neighborhood: String
    /// Segments the event affects directly (a venue's approaches, a collision's link).
    public var segments: [String]
    public var startsAt: EpochMillis
    public var endsAt: EpochMillis?
    public var expectedAttendance: Int?
    public var lanesBlocked: Int?

    public init(
        version: Int = Self.currentVersion, eventID: String, kind: Kind, status: Status, eventTime: EpochMillis,
        neighborhood: String, segments: [String], startsAt: EpochMillis, endsAt: EpochMillis?,
        expectedAttendance: Int? = nil, lanesBlocked: Int? = nil
    ) {
        self.version = version
        self.eventID = eventID
        self.kind = kind
        self.status = status
        self.eventTime = eventTime
        self.neighborhood = neighborhood
        self.segments = segments
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.expectedAttendance = expectedAttendance
        self.lanesBlocked = lanesBlocked
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case eventID = "event_id"
        case kind, status, neighborhood, segments
        case eventTime = "event_time"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case expectedAttendance = "expected_attendance"
        case lanesBlocked = "lanes_blocked"
    }
}
