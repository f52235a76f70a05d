import CablecarDomain

/// An import's counts as JSON (`cablecar-sim import --summary-out`), for programs such as
/// `cablecar run --import-readings` and tests: rows read = produced + rejected, rejections by
/// reason, messages sent, and whether the data carries speed at all.
public struct ImportCounts: Codable, Sendable, Equatable {
    public var rowsRead: Int
    public var rowsProduced: Int
    public var rowsRejected: Int
    public var rowsWithoutSpeed: Int
    public var messages: Int
    public var rejectedByReason: [String: Int]
    public var firstEventTime: EpochMillis?
    public var lastEventTime: EpochMillis?
    public var cityName: String
    public var neighborhoods: [String]

    /// Speed forecasts mean nothing when no produced row carried a measured speed.
    public var hasSpeed: Bool { rowsProduced > rowsWithoutSpeed }

    public init(readings: ReadingsImport, feed: ImportedFeed, city: CityDefinition) {
        rowsRead = readings.rowsRead
        rowsProduced = feed.rowsProduced
        rowsRejected = readings.rejections.count
        rowsWithoutSpeed = feed.rowsWithoutSpeed
        messages = feed.records.count
        var byReason: [String: Int] = [:]
        for rejection in readings.rejections { byReason[rejection.reason.rawValue, default: 0] += 1 }
        rejectedByReason = byReason
        firstEventTime = feed.records.map(\.eventTime).min()
        lastEventTime = feed.records.map(\.eventTime).max()
        cityName = city.name
        neighborhoods = city.neighborhoods.map(\.id)
    }

    enum CodingKeys: String, CodingKey {
        case rowsRead = "rows_read"
        case rowsProduced = "rows_produced"
        case rowsRejected = "rows_rejected"
        case rowsWithoutSpeed = "rows_without_speed"
        case messages
        case rejectedByReason = "rejected_by_reason"
        case firstEventTime = "first_event_time"
        case lastEventTime = "last_event_time"
        case cityName = "city_name"
        case neighborhoods
    }
}
