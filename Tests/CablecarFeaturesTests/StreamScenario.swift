import CablecarDomain
import Foundation

/// A small, deterministic city and observation stream with everything the feature store must
/// handle: late corrections, missing speeds, a two-hour outage of one segment, a weather gap,
/// events and incidents. Messages come in stream order, as ingest would emit them during a
/// replay (ingest_time is a wall clock far after the event times).
struct StreamScenario {
    static let step = Interval.lengthMillis
    static let day: EpochMillis = 86_400_000
    /// 2025-03-03 00:00 in Los Angeles (08:00 UTC), a Monday.
    static let start: EpochMillis = 1_740_988_800_000
    static let wallBase: EpochMillis = 1_800_000_000_000

    static let city = CityDefinition(
        name: "feature-test", timeZone: "America/Los_Angeles",
        neighborhoods: [
            Neighborhood(id: "north", name: "North", profile: .downtown),
            Neighborhood(id: "south", name: "South", profile: .residential),
        ],
        segments: [
            segment("s-a", "north", up: [], down: ["s-b"]),
            segment("s-b", "north", up: ["s-a"], down: ["s-c"]),
            segment("s-c", "north", up: ["s-b"], down: ["s-d"]),
            segment("s-d", "south", up: ["s-c"], down: ["s-e"]),
            segment("s-e", "south", up: ["s-d"], down: []),
            segment("s-f", "south", up: [], down: []),
        ],
        sensors: [], routes: [], venues: [])

    static func segment(_ id: String, _ neighborhood: String, up: [String], down: [String]) -> RoadSegment {
        RoadSegment(
            id: id, neighborhood: neighborhood, lengthMeters: 200, lanes: 2, freeFlowSpeedKmh: 50, capacityPerLane: 900,
            upstream: up, downstream: down)
    }

    struct Message {
        var topic: Topic
        var key: String
        var value: [UInt8]
    }

    let intervals: Int
    /// Outage of s-b (no observation at all) and of north weather, as interval index ranges.
    let outage: Range<Int>
    private(set) var messages: [Message] = []
    private(set) var traffic: [TrafficObservation] = []
    private(set) var context: [ContextObservation] = []

    /// The first interval start and the last one.
    var firstInterval: EpochMillis { Self.start }
    var lastInterval: EpochMillis { Self.start + EpochMillis(intervals - 1) * Self.step }

    init(intervals: Int) throws {
        self.intervals = intervals
        outage = (intervals - 60)..<(intervals - 36)
        var random = SplitMix(seed: 42)
        // Corrections due at a later position in the stream: position → messages.
        var pending: [Int: [TrafficObservation]] = [:]
        for k in 0..<intervals {
            let eventTime = Self.start + EpochMillis(k) * Self.step
            let ingest = Self.wallBase + EpochMillis(k) * 1_000
            for segment in Self.city.segments {
                if segment.id == "s-b" && outage.contains(k) { continue }
                if random.unit() < 0.03 { continue }  // a dropped interval
                let base = 30 + 15 * sin(Double(k) / 288 * 2 * .pi) + Double(segment.id.utf8.last ?? 0).truncatingRemainder(dividingBy: 7)
                let speed: Double? = random.unit() < 0.05 ? nil : (base + random.unit() * 4).rounded(toPlaces: 2)
                let flow = (600 + 300 * random.unit()).rounded(toPlaces: 1)
                let o = TrafficObservation(
                    segmentID: segment.id, neighborhood: segment.neighborhood, eventTime: eventTime, flowVehiclesPerHour: flow,
                    speedKmh: speed, occupancy: Self.occupancy(flow: flow, speed: speed), sampleCount: 5, revision: 0,
                    ingestTime: ingest)
                try append(o)
                if random.unit() < 0.08 {
                    // A late correction 2 to 12 intervals later in the stream; sometimes a second one.
                    var fixed = o
                    fixed.revision = 1
                    fixed.speedKmh = (base - 10 + random.unit() * 3).rounded(toPlaces: 2)
                    fixed.flowVehiclesPerHour = flow + 100
                    fixed.occupancy = Self.occupancy(flow: fixed.flowVehiclesPerHour, speed: fixed.speedKmh)
                    let due = k + 2 + Int(random.unit() * 10)
                    pending[due, default: []].append(fixed)
                    if random.unit() < 0.3 {
                        var again = fixed
                        again.revision = 2
                        again.speedKmh = (fixed.speedKmh ?? 0) + 1
                        pending[due + 3, default: []].append(again)
                    }
                }
            }
            for neighborhood in ["north", "south"] {
                let weather = k % 3 == 0 && !(neighborhood == "north" && outage.contains(k))
                let c = ContextObservation(
                    neighborhood: neighborhood, eventTime: eventTime,
                    temperatureCelsius: weather ? (12 + random.unit() * 5).rounded(toPlaces: 2) : nil,
                    precipitationMmPerHour: weather ? (random.unit() < 0.7 ? 0 : (random.unit() * 4).rounded(toPlaces: 2)) : nil,
                    visibilityMeters: weather ? (8_000 + random.unit() * 2_000).rounded() : nil,
                    activeScheduledEvents: (k / 40) % 5 == 0 ? 1 : 0, activeIncidents: random.unit() < 0.05 ? 1 : 0,
                    transitDelaySeconds: random.unit() < 0.5 ? (random.unit() * 120).rounded(toPlaces: 1) : nil,
                    transitReports: 3, revision: 0, ingestTime: ingest)
                try append(c)
            }
            for var correction in pending.removeValue(forKey: k) ?? [] {
                correction.ingestTime = ingest
                try append(correction)
            }
        }
    }

    /// A loop's occupancy for the scenario's values: it varies with them (so a feature reading the
    /// wrong field disagrees with the reference) and is absent with the speed.
    static func occupancy(flow: Double, speed: Double?) -> Double? {
        speed.map { (flow / $0 / 100).rounded(toPlaces: 3) }
    }

    private mutating func append(_ o: TrafficObservation) throws {
        traffic.append(o)
        messages.append(Message(topic: .observedTraffic, key: o.segmentID, value: try WireCodec.encode(o)))
    }

    private mutating func append(_ o: ContextObservation) throws {
        context.append(o)
        messages.append(Message(topic: .observedContext, key: o.neighborhood, value: try WireCodec.encode(o)))
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = Foundation.pow(10.0, Double(places))
        return (self * factor).rounded() / factor
    }
}
