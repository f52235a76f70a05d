/// `raw.weather`: a weather station's report, for the neighborhood it stands in.
///
/// Units: °C, mm of rain per hour, meters of visibility.
public struct WeatherReport: SchemaVersioned {
    public static let currentVersion = 1
    public static let topic = Topic.rawWeather

    public var version: Int
    public var stationID: String
    public var neighborhood: String
    public var eventTime: EpochMillis
    public var temperatureCelsius: Double
    public var precipitationMmPerHour: Double
    public var visibilityMeters: Double

    public init(
        version: Int = Self.currentVersion, stationID: String, neighborhood: String, eventTime: EpochMillis,
        temperatureCelsius: Double, precipitationMmPerHour: Double, visibilityMeters: Double
    ) {
        self.version = version
        self.stationID = stationID
        self.neighborhood = neighborhood
        self.eventTime = eventTime
        self.temperatureCelsius = temperatureCelsius
        self.precipitationMmPerHour = precipitationMmPerHour
        self.visibilityMeters = visibilityMeters
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case stationID = "station_id"
        case neighborhood
        case eventTime = "event_time"
        case temperatureCelsius = "temperature_c"
        case precipitationMmPerHour = "precipitation_mm_h"
        case visibilityMeters = "visibility_m"
    }
}
