/// `raw.camera`: vehicles a camera counted by class over its counting interval.
public struct CameraCount: SchemaVersioned {
    public static let currentVersion = 1
    public static let topic = Topic.rawCamera

    public var version: Int
    public var sensorID: String
    public var eventTime: EpochMillis
    public var intervalSeconds: Int
    public var cars: Int
    public var trucks: Int
    public var buses: Int
    public var bicycles: Int

    public init(
        version: Int = Self.currentVersion, sensorID: String, eventTime: EpochMillis, intervalSeconds: Int,
        cars: Int, trucks: Int, buses: Int, bicycles: Int
    ) {
        self.version = version
        self.sensorID = sensorID
        self.eventTime = eventTime
        self.intervalSeconds = intervalSeconds
        self.cars = cars
        self.trucks = trucks
        self.buses = buses
        self.bicycles = bicycles
    }

    /// Motor vehicles, the flow that loop detectors also see.
    public var motorVehicles: Int { cars + trucks + buses }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case sensorID = "sensor_id"
        case eventTime = "event_time"
        case intervalSeconds = "interval_s"
        case cars, trucks, buses, bicycles
    }
}
