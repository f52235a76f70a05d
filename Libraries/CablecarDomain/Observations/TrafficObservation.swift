/// `obs.traffic`: one segment over one five-minute interval, aggregated from its sensors.
///
/// `event_time` is the interval's start. Units: `flow_veh_h` vehicles per hour (all lanes),
/// `speed_kmh` km/h (absent when no sensor measured speed), `occupancy` 0...1.
/// `revision` is 0 for the first emission and grows with every late correction; consumers
/// keep the highest revision per (segment, interval).
public struct TrafficObservation: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.observedTraffic

    public var version: Int
    public var segmentID: String
    public var neighborhood: String
    public var eventTime: EpochMillis
    public var flowVehiclesPerHour: Double
    public var speedKmh: Double?
    public var occupancy: Double?
    /// Sensor readings that went into this aggregate.
    public var sampleCount: Int
    public var revision: Int
    /// When ingest emitted this revision (processing time, not event time).
    public var ingestTime: EpochMillis
    /// The earliest event-time instant this revision may be used at, fixed by the readings it
    /// holds rather than by when it was emitted (docs/features.md, Availability); nil from
    /// producers that do not know it.
    public var knownAt: EpochMillis?

    public init(
        version: Int = Self.currentVersion, segmentID: String, neighborhood: String, eventTime: EpochMillis,
        flowVehiclesPerHour: Double, speedKmh: Double?, occupancy: Double?, sampleCount: Int, revision: Int,
        ingestTime: EpochMillis, knownAt: EpochMillis? = nil
    ) {
        self.version = version
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.eventTime = eventTime
        self.flowVehiclesPerHour = flowVehiclesPerHour
        self.speedKmh = speedKmh
        self.occupancy = occupancy
        self.sampleCount = sampleCount
        self.revision = revision
        self.ingestTime = ingestTime
        self.knownAt = knownAt
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case segmentID = "segment_id"
        case neighborhood
        case eventTime = "event_time"
        case flowVehiclesPerHour = "flow_veh_h"
        case speedKmh = "speed_kmh"
        case occupancy
        case sampleCount = "sample_count"
        case revision
        case ingestTime = "ingest_time"
        case knownAt = "known_at"
    }
}
