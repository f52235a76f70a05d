/// A named district; drift, accuracy and data quality are reported per neighborhood.
public struct Neighborhood: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// What dominates land use, which shapes the daily demand curve.
    public var profile: DemandProfile

    public init(id: String, name: String, profile: DemandProfile) {
        self.id = id
        self.name = name
        self.profile = profile
    }
}

public enum DemandProfile: String, Codable, Sendable, CaseIterable {
    case downtown, residential, mixed, industrial, nightlife
}

/// A directed road link. Units: meters, km/h, vehicles per hour per lane.
public struct RoadSegment: Codable, Sendable, Hashable {
    public var id: String
    public var neighborhood: String
    public var lengthMeters: Double
    public var lanes: Int
    public var freeFlowSpeedKmh: Double
    public var capacityPerLane: Double
    /// Segments whose traffic flows into this one.
    public var upstream: [String]
    /// Segments this one's traffic flows into.
    public var downstream: [String]

    public init(
        id: String, neighborhood: String, lengthMeters: Double, lanes: Int, freeFlowSpeedKmh: Double,
        capacityPerLane: Double, upstream: [String], downstream: [String]
    ) {
        self.id = id
        self.neighborhood = neighborhood
        self.lengthMeters = lengthMeters
        self.lanes = lanes
        self.freeFlowSpeedKmh = freeFlowSpeedKmh
        self.capacityPerLane = capacityPerLane
        self.upstream = upstream
        self.downstream = downstream
    }

    enum CodingKeys: String, CodingKey {
        case id, neighborhood, lanes, upstream, downstream
        case lengthMeters = "length_m"
        case freeFlowSpeedKmh = "free_flow_speed_kmh"
        case capacityPerLane = "capacity_veh_h_per_lane"
    }
}

public enum SensorKind: String, Codable, Sendable, CaseIterable {
    case loopDetector = "loop"
    case camera
}

public struct Sensor: Codable, Sendable, Hashable {
    public var id: String
    public var kind: SensorKind
    public var segment: String

    public init(id: String, kind: SensorKind, segment: String) {
        self.id = id
        self.kind = kind
        self.segment = segment
    }
}

public struct TransitStop: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var segment: String

    public init(id: String, name: String, segment: String) {
        self.id = id
        self.name = name
        self.segment = segment
    }
}

/// A transit line: the ordered segments its vehicles drive and the stops they serve.
public struct TransitRoute: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var segments: [String]
    public var stops: [TransitStop]
    public var headwayMinutes: Double

    public init(id: String, name: String, segments: [String], stops: [TransitStop], headwayMinutes: Double) {
        self.id = id
        self.name = name
        self.segments = segments
        self.stops = stops
        self.headwayMinutes = headwayMinutes
    }

    enum CodingKeys: String, CodingKey {
        case id, name, segments, stops
        case headwayMinutes = "headway_min"
    }
}

/// A stadium, arena or hall whose scheduled events raise demand on nearby segments.
public struct Venue: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var neighborhood: String
    public var segments: [String]
    public var capacity: Int

    public init(id: String, name: String, neighborhood: String, segments: [String], capacity: Int) {
        self.id = id
        self.name = name
        self.neighborhood = neighborhood
        self.segments = segments
        self.capacity = capacity
    }
}
