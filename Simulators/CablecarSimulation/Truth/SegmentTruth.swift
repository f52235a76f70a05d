import CablecarDomain

/// What really happened on one segment over one five-minute interval — the answer key
/// ingest's aggregates and the forecasts are checked against.
///
/// `flowVehiclesPerHour` is the mean of the minute flows (what the loops count, before
/// noise); `speedKmh` the mean of the minute speeds (what loop readings average to);
/// sensor recalibration scenarios bias the readings, never this.
public struct SegmentTruth: Sendable, Hashable {
    public var segmentID: String
    public var neighborhood: String
    /// Interval start.
    public var eventTime: EpochMillis
    public var flowVehiclesPerHour: Double
    public var speedKmh: Double
    public var occupancy: Double
    public var demandVehiclesPerHour: Double
    public var capacityVehiclesPerHour: Double
    /// Vehicles queued at the interval's end.
    public var queueVehicles: Double
    public var rainMmPerHour: Double
    /// A collision blocked this segment during the interval.
    public var collision: Bool

    /// One line of the ground-truth file, built by hand: there are ~70,000 per city-day.
    func jsonLine() -> String {
        "{\"type\":\"segment\",\"segment_id\":\"\(segmentID)\",\"neighborhood\":\"\(neighborhood)\",\"event_time\":\(eventTime)"
            + ",\"flow_veh_h\":\(flowVehiclesPerHour),\"speed_kmh\":\(speedKmh),\"occupancy\":\(occupancy)"
            + ",\"demand_veh_h\":\(demandVehiclesPerHour),\"capacity_veh_h\":\(capacityVehiclesPerHour)"
            + ",\"queue_veh\":\(queueVehicles),\"rain_mm_h\":\(rainMmPerHour),\"collision\":\(collision)}\n"
    }
}

/// Sums minute values per segment and turns them into `SegmentTruth` every five minutes.
struct TruthAccumulator: Sendable {
    private var flow: [Double]
    private var speed: [Double]
    private var occupancy: [Double]
    private var demand: [Double]
    private var capacity: [Double]
    private var rain: [Double]
    private var collision: [Bool]
    private var minutes = 0

    init(segments: Int) {
        flow = Array(repeating: 0, count: segments)
        speed = flow
        occupancy = flow
        demand = flow
        capacity = flow
        rain = flow
        collision = Array(repeating: false, count: segments)
    }

    mutating func add(_ model: TrafficModel, rain neighborhoodRain: [Double], neighborhoodOf: [Int], collisions: [Double]) {
        for i in flow.indices {
            flow[i] += model.flow[i]
            speed[i] += model.speed[i]
            occupancy[i] += model.occupancy[i]
            demand[i] += model.demand[i]
            capacity[i] += model.capacity[i]
            rain[i] += neighborhoodRain[neighborhoodOf[i]]
            if collisions[i] < 1 { collision[i] = true }
        }
        minutes += 1
    }

    mutating func close(intervalStart: EpochMillis, model: TrafficModel, index: CityIndex) -> [SegmentTruth] {
        guard minutes > 0 else { return [] }
        let n = Double(minutes)
        var rows: [SegmentTruth] = []
        rows.reserveCapacity(flow.count)
        for i in flow.indices {
            rows.append(
                SegmentTruth(
                    segmentID: index.segments[i].id, neighborhood: index.segments[i].neighborhood, eventTime: intervalStart,
                    flowVehiclesPerHour: rounded(flow[i] / n, 1), speedKmh: rounded(speed[i] / n, 2),
                    occupancy: rounded(occupancy[i] / n, 4), demandVehiclesPerHour: rounded(demand[i] / n, 1),
                    capacityVehiclesPerHour: rounded(capacity[i] / n, 1), queueVehicles: rounded(model.queue[i], 1),
                    rainMmPerHour: rounded(rain[i] / n, 2), collision: collision[i]))
            flow[i] = 0
            speed[i] = 0
            occupancy[i] = 0
            demand[i] = 0
            capacity[i] = 0
            rain[i] = 0
            collision[i] = false
        }
        minutes = 0
        return rows
    }
}
