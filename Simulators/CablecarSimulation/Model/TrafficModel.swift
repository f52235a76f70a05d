import CablecarDomain
import Foundation

/// Per-segment traffic, advanced one minute at a time: a point-queue model on each segment
/// with a Greenshields speed-flow relation, storage limits, and spillback of queues that
/// no longer fit onto the segments that feed them.
///
/// Why this shape: demand below capacity gives the familiar smooth speed drop (to half the
/// free-flow speed at capacity); demand above capacity builds a queue whose discharge time
/// is added to the travel time, so speeds collapse; a queue longer than its segment pushes
/// vehicles back onto upstream segments, so congestion visibly spreads and later clears.
struct TrafficModel: Sendable {
    /// Jam density, vehicles per km per lane.
    static let jamDensity = 140.0
    /// Effective vehicle length a loop sees (vehicle + loop), km, for occupancy.
    static let effectiveVehicleLengthKm = 0.0065
    static let minimumSpeedKmh = 3.0
    /// Share of a full segment's overflow that backs up onto its feeders.
    static let spillShare = 0.6
    /// Discharge lost when the fullest downstream segment is completely full.
    static let blockedDischargeLoss = 0.35

    let index: CityIndex
    /// Peak-hour demand per segment, veh/h, before the daily curve.
    let peakDemand: [Double]
    private var noise: [Double]
    private(set) var queue: [Double]
    private var spillIn: [Double]
    /// Queue length over storage per segment, from the previous minute.
    private var fullness: [Double]

    private(set) var demand: [Double]
    private(set) var capacity: [Double]
    private(set) var flow: [Double]
    private(set) var speed: [Double]
    private(set) var occupancy: [Double]

    init(index: CityIndex, random: inout SeededRandom) {
        self.index = index
        peakDemand = index.segments.map { segment in
            let utilization = segment.lanes >= 2 ? 0.88 : 0.7
            return Double(segment.lanes) * segment.capacityPerLane * utilization * random.uniform(0.8...1.12)
        }
        let count = index.segments.count
        noise = Array(repeating: 0, count: count)
        queue = Array(repeating: 0, count: count)
        spillIn = Array(repeating: 0, count: count)
        fullness = Array(repeating: 0, count: count)
        demand = Array(repeating: 0, count: count)
        capacity = index.segments.map { Double($0.lanes) * $0.capacityPerLane }
        flow = Array(repeating: 0, count: count)
        speed = index.segments.map(\.freeFlowSpeedKmh)
        occupancy = Array(repeating: 0, count: count)
    }

    /// What the rest of the world imposes on one minute of traffic.
    struct Conditions {
        /// Demand fraction per neighborhood (daily curve × scenario shift × day-to-day mood).
        var neighborhoodDemand: [Double]
        /// Rain severity per neighborhood, 0 (dry) ... 1 (downpour).
        var rainSeverity: [Double]
        /// Extra veh/h per segment from venue crowds.
        var extraDemand: [Double]
        /// Lanes closed per segment by construction.
        var closedLanes: [Int]
        /// Capacity and free-flow speed multipliers per segment from collisions (1 = none).
        var incidentCapacity: [Double]
        var incidentSpeed: [Double]
    }

    mutating func step(_ conditions: Conditions, random: inout SeededRandom) {
        let count = index.segments.count
        var overflow = Array(repeating: 0.0, count: count)
        for i in 0..<count {
            let segment = index.segments[i]
            let hood = index.neighborhoodOfSegment[i]
            // Slow-moving multiplicative noise: traffic wanders, it does not flicker.
            noise[i] = 0.97 * noise[i] + random.normal(standardDeviation: 0.03)
            let rain = conditions.rainSeverity[hood]
            let closed = conditions.closedLanes[i]
            let lanes = max(1, segment.lanes - closed)
            var laneCapacity = Double(lanes) * segment.capacityPerLane
            var freeFlow = segment.freeFlowSpeedKmh
            if closed > 0 {
                // A single-lane street under construction runs alternating one-way traffic.
                if closed >= segment.lanes { laneCapacity *= 0.55 }
                freeFlow *= 0.8
            }
            // A full segment downstream blocks part of this one's discharge.
            var blocked = 0.0
            for next in index.downstream[i] { blocked = max(blocked, fullness[next]) }
            let blocking = max(0, (blocked - 0.7) / 0.3) * Self.blockedDischargeLoss
            let effectiveCapacity = max(30, laneCapacity * (1 - 0.15 * rain) * conditions.incidentCapacity[i] * (1 - blocking))
            freeFlow *= (1 - 0.18 * rain) * conditions.incidentSpeed[i]

            let wanted = peakDemand[i] * conditions.neighborhoodDemand[hood] * exp(noise[i]) + conditions.extraDemand[i]
            let available = queue[i] + spillIn[i] + wanted / 60
            let served = min(available, effectiveCapacity / 60)
            var waiting = available - served
            let storage = Double(lanes) * segment.lengthMeters / 1000 * Self.jamDensity
            if waiting > storage {
                // Most of what does not fit backs up; the rest finds another way round.
                overflow[i] = (waiting - storage) * Self.spillShare
                waiting = storage
            }
            queue[i] = waiting
            fullness[i] = waiting / storage

            let servedFlow = served * 60
            let ratio = min(1, servedFlow / effectiveCapacity)
            let movingSpeed = freeFlow * (1 + (1 - ratio).squareRoot()) / 2
            let lengthKm = segment.lengthMeters / 1000
            let hours = lengthKm / movingSpeed + waiting / effectiveCapacity
            let currentSpeed = max(Self.minimumSpeedKmh, lengthKm / hours)
            demand[i] = wanted
            capacity[i] = effectiveCapacity
            flow[i] = servedFlow
            speed[i] = currentSpeed
            occupancy[i] = min(0.97, servedFlow / Double(lanes) / currentSpeed * Self.effectiveVehicleLengthKm + waiting / storage * 0.35)
        }
        // Vehicles that do not fit wait on the segments that feed this one, in proportion to
        // how much those segments carry; they join next minute (one segment per minute spread).
        for i in 0..<count {
            spillIn[i] = 0
        }
        for i in 0..<count where overflow[i] > 0 {
            let feeders = index.upstream[i]
            guard !feeders.isEmpty else { continue }
            var total = 0.0
            for feeder in feeders { total += peakDemand[feeder] }
            for feeder in feeders { spillIn[feeder] += overflow[i] * peakDemand[feeder] / total }
        }
    }
}
