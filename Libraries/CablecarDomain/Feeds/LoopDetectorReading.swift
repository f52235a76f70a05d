/// `raw.loop`: one loop detector's report over its counting interval.
///
/// Units: `vehicle_count` vehicles in `interval_s` seconds; `occupancy` the fraction of the
/// interval the loop was occupied (0...1); `speed_kmh` the mean spot speed, km/h.
public struct LoopDetectorReading: SchemaVersioned {
    public static let currentVersion = 1
    public static let topic = Topic.rawLoop

    public var version: Int
    public var sensorID: String
    public var eventTime: EpochMillis
    public var intervalSeconds: Int
    public var vehicleCount: Int
    public var occupancy: Double
    public var speedKmh: Double

    public init(
        version: Int = Self.currentVersion, sensorID: String, eventTime: EpochMillis, intervalSeconds: Int,
        vehicleCount: Int, occupancy: Double, speedKmh: Double
    ) {
        self.version = version
        self.sensorID = sensorID
        self.eventTime = eventTime
        self.intervalSeconds = intervalSeconds
        self.vehicleCount = vehicleCount
        self.occupancy = occupancy
        self.speedKmh = speedKmh
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case sensorID = "sensor_id"
        case eventTime = "event_time"
        case intervalSeconds = "interval_s"
        case vehicleCount = "vehicle_count"
        case occupancy
        case speedKmh = "speed_kmh"
    }
}
