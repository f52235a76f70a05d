import CablecarDomain

/// The city turned into arrays indexed by integers. The simulation never iterates a
/// `Dictionary` or `Set` — their order is randomized per process, which would break
/// byte-identical output — and integer indices keep the per-minute loop fast.
struct CityIndex: Sendable {
    let city: CityDefinition
    let segments: [RoadSegment]
    let segmentIndex: [String: Int]
    let neighborhoodOfSegment: [Int]
    let upstream: [[Int]]
    let downstream: [[Int]]
    let profiles: [DemandProfile]
    let neighborhoodIndex: [String: Int]
    let loops: [SensorSite]
    let cameras: [SensorSite]
    let arterials: [Int]

    struct SensorSite: Sendable {
        var id: String
        var segment: Int
        /// The sensor id as bytes for the partition key (the segment id).
        var key: [UInt8]
    }

    init(city: CityDefinition) {
        self.city = city
        segments = city.segments
        var segmentIndex: [String: Int] = [:]
        for (index, segment) in city.segments.enumerated() { segmentIndex[segment.id] = index }
        self.segmentIndex = segmentIndex
        var neighborhoodIndex: [String: Int] = [:]
        for (index, hood) in city.neighborhoods.enumerated() { neighborhoodIndex[hood.id] = index }
        self.neighborhoodIndex = neighborhoodIndex
        profiles = city.neighborhoods.map(\.profile)
        neighborhoodOfSegment = city.segments.map { neighborhoodIndex[$0.neighborhood] ?? 0 }
        upstream = city.segments.map { segment in segment.upstream.compactMap { segmentIndex[$0] } }
        downstream = city.segments.map { segment in segment.downstream.compactMap { segmentIndex[$0] } }
        func sites(_ kind: SensorKind) -> [SensorSite] {
            city.sensors.filter { $0.kind == kind }.compactMap { sensor in
                segmentIndex[sensor.segment].map { SensorSite(id: sensor.id, segment: $0, key: Array(sensor.segment.utf8)) }
            }
        }
        loops = sites(.loopDetector)
        cameras = sites(.camera)
        arterials = city.segments.indices.filter { city.segments[$0].lanes >= 2 }
    }
}
