import CablecarDomain

/// A record that passed validation, decoded into the domain type of its feed.
public enum AcceptedRecord: Sendable, Equatable {
    case loop(LoopDetectorReading, segment: String, neighborhood: String)
    case camera(CameraCount, segment: String, neighborhood: String)
    case gps(TransitPosition, neighborhood: String)
    case weather(WeatherReport)
    case event(CityEvent)

    public var feed: Feed {
        switch self {
        case .loop: .loop
        case .camera: .camera
        case .gps: .gps
        case .weather: .weather
        case .event: .events
        }
    }

    public var eventTime: EpochMillis {
        switch self {
        case .loop(let reading, _, _): reading.eventTime
        case .camera(let count, _, _): count.eventTime
        case .gps(let position, _): position.eventTime
        case .weather(let report): report.eventTime
        case .event(let event): event.eventTime
        }
    }

    public var neighborhood: String {
        switch self {
        case .loop(_, _, let neighborhood), .camera(_, _, let neighborhood), .gps(_, let neighborhood): neighborhood
        case .weather(let report): report.neighborhood
        case .event(let event): event.neighborhood
        }
    }

    /// What makes two records "the same" for duplicate detection: the subject and its event
    /// time (for events, the status change). Exact re-sends share it; corrections do not exist
    /// for raw readings, so a second record with the same key is a duplicate.
    public var idempotencyKey: String {
        switch self {
        case .loop(let reading, _, _): "\(reading.sensorID)@\(reading.eventTime)"
        case .camera(let count, _, _): "\(count.sensorID)@\(count.eventTime)"
        case .gps(let position, _): "\(position.vehicleID)@\(position.eventTime)"
        case .weather(let report): "\(report.stationID)@\(report.eventTime)"
        case .event(let event): "\(event.eventID)#\(event.status.rawValue)"
        }
    }
}

/// Why a record was refused, with a human-readable detail.
public struct Rejection: Error, Sendable, Equatable {
    public var reason: RejectReason
    public var detail: String
    /// The record's event time when it could be read.
    public var eventTime: EpochMillis?
    /// The neighborhood the record speaks for when it could be read (accounting per neighborhood).
    public var neighborhood: String?

    public init(_ reason: RejectReason, _ detail: String, eventTime: EpochMillis? = nil, neighborhood: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.eventTime = eventTime
        self.neighborhood = neighborhood
    }
}
