/// `raw.gps`: a transit vehicle's position along its route.
///
/// Units: `distance_m` meters from the route's start; `delay_s` seconds behind schedule
/// (negative when early); `speed_kmh` km/h.
public struct TransitPosition: SchemaVersioned {
    public static let currentVersion = 1
    public static let topic = Topic.rawGPS

    public var version: Int
    public var vehicleID: String
    public var routeID: String
    public var eventTime: EpochMillis
    public var segmentID: String
    public var distanceMeters: Double
    public var speedKmh: Double
    public var delaySeconds: Double

    public init(
        version: Int = Self.currentVersion, vehicleID: String, routeID: String, eventTime: EpochMillis,
        segmentID: String, distanceMeters: Double, speedKmh: Double, delaySeconds: Double
    ) {
        self.version = version
        self.vehicleID = vehicleID
        self.routeID = routeID
        self.eventTime = eventTime
        self.segmentID = segmentID
        self.distanceMeters = distanceMeters
        self.speedKmh = speedKmh
        self.delaySeconds = delaySeconds
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case vehicleID = "vehicle_id"
        case routeID = "route_id"
        case eventTime = "event_time"
        case segmentID = "segment_id"
        case distanceMeters = "distance_m"
        case speedKmh = "speed_kmh"
        case delaySeconds = "delay_s"
    }
}
