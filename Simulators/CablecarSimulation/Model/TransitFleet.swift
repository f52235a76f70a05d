import CablecarDomain
import Foundation

/// Buses and trains running their routes: dispatched at the route's headway during
/// service hours, driving at the speed traffic allows (so delays follow congestion),
/// dwelling at stops, and reporting GPS positions at a fixed interval.
struct TransitFleet: Sendable {
    /// Timetables assume this share of free-flow speed; slower traffic makes buses late.
    static let scheduledSpeedShare = 0.55
    static let scheduledDwellSeconds = 25.0

    struct Route: Sendable {
        var id: String
        var key: [UInt8]
        var segments: [Int]
        var segmentIDs: [String]
        /// Distance from the route's start at each segment's start, meters; one extra at the end.
        var segmentStart: [Double]
        /// Timetable seconds from departure to each segment's start; one extra at the end.
        var scheduleStart: [Double]
        var stopDistance: [Double]
        var headwayMinutes: Double
    }

    struct Vehicle: Sendable {
        var route: Int
        var id: String
        var departure: EpochMillis
        var distance = 0.0
        var segment = 0
        var nextStop = 0
        var dwellRemaining = 0.0
        var speedKmh = 0.0
    }

    private(set) var routes: [Route]
    private var vehicles: [Vehicle] = []
    private var nextDeparture: [EpochMillis]
    private var trips: [Int]
    private var random: SeededRandom

    init(index: CityIndex, random: SeededRandom) {
        self.random = random
        routes = index.city.routes.map { route in
            let segments = route.segments.compactMap { index.segmentIndex[$0] }
            var starts: [Double] = [0]
            var schedule: [Double] = [0]
            for segment in segments {
                let road = index.segments[segment]
                starts.append((starts.last ?? 0) + road.lengthMeters)
                let seconds = road.lengthMeters / (road.freeFlowSpeedKmh * Self.scheduledSpeedShare / 3.6)
                schedule.append((schedule.last ?? 0) + seconds)
            }
            let stops = route.stops.compactMap { stop -> Double? in
                guard let position = segments.firstIndex(of: index.segmentIndex[stop.segment] ?? -1) else { return nil }
                return starts[position] + index.segments[segments[position]].lengthMeters / 2
            }.sorted()
            return Route(
                id: route.id, key: Array(route.id.utf8), segments: segments, segmentIDs: segments.map { index.segments[$0].id },
                segmentStart: starts, scheduleStart: schedule, stopDistance: stops, headwayMinutes: route.headwayMinutes)
        }
        nextDeparture = Array(repeating: 0, count: routes.count)
        trips = Array(repeating: 0, count: routes.count)
    }

    /// Dispatches vehicles due in the minute starting at `time` (service 05:00 to 01:00;
    /// longer headways off-peak and at weekends).
    mutating func dispatch(time: EpochMillis, hour: Double, weekend: Bool) {
        let inService = hour >= 5 || hour < 1
        for route in routes.indices {
            guard inService else {
                nextDeparture[route] = time
                continue
            }
            guard time >= nextDeparture[route], !routes[route].segments.isEmpty else { continue }
            let peak = !weekend && ((7..<10).contains(hour) || (16..<19).contains(hour))
            let headway = routes[route].headwayMinutes * (peak ? 1 : 1.5) * (weekend ? 1.3 : 1)
            nextDeparture[route] = time + EpochMillis(headway * 60_000)
            trips[route] += 1
            let number = trips[route] % 40
            vehicles.append(
                Vehicle(route: route, id: "veh-\(routes[route].id)-\(number < 10 ? "0" : "")\(number)", departure: time))
        }
    }

    /// Moves every vehicle by `seconds` through current traffic and returns a position
    /// report for each, stamped `time`. Vehicles that reach the end report once more and
    /// leave service.
    mutating func advance(seconds: Double, time: EpochMillis, trafficSpeed: [Double], freeFlow: (Int) -> Double)
        -> [TransitPosition]
    {
        var reports: [TransitPosition] = []
        reports.reserveCapacity(vehicles.count)
        var finished: [Int] = []
        for v in vehicles.indices where vehicles[v].departure <= time {
            var vehicle = vehicles[v]
            let route = routes[vehicle.route]
            let end = route.segmentStart[route.segments.count]
            var budget = vehicle.departure == time ? 0 : seconds
            while budget > 0 && vehicle.distance < end {
                if vehicle.dwellRemaining > 0 {
                    let used = min(vehicle.dwellRemaining, budget)
                    vehicle.dwellRemaining -= used
                    budget -= used
                    vehicle.speedKmh = 0
                    continue
                }
                let segment = route.segments[vehicle.segment]
                let kmh = max(3, min(trafficSpeed[segment], freeFlow(segment) * 0.8) * 0.9)
                vehicle.speedKmh = kmh
                let metersPerSecond = kmh / 3.6
                var target = route.segmentStart[vehicle.segment + 1]
                let stopAhead = vehicle.nextStop < route.stopDistance.count ? route.stopDistance[vehicle.nextStop] : .infinity
                let atStop = stopAhead <= target
                if atStop { target = stopAhead }
                let needed = (target - vehicle.distance) / metersPerSecond
                if needed > budget {
                    vehicle.distance += metersPerSecond * budget
                    budget = 0
                } else {
                    vehicle.distance = target
                    budget -= needed
                    if atStop {
                        vehicle.nextStop += 1
                        vehicle.dwellRemaining = 15 + random.uniform() * 30
                    } else {
                        vehicle.segment = min(vehicle.segment + 1, route.segments.count - 1)
                    }
                }
            }
            let done = vehicle.distance >= end - 0.01
            let within = min(
                1,
                max(
                    0,
                    (vehicle.distance - route.segmentStart[vehicle.segment])
                        / max(1, route.segmentStart[vehicle.segment + 1] - route.segmentStart[vehicle.segment])))
            let stopsPassed = Double(vehicle.nextStop)
            let scheduled =
                route.scheduleStart[vehicle.segment]
                + within * (route.scheduleStart[vehicle.segment + 1] - route.scheduleStart[vehicle.segment])
                + stopsPassed * Self.scheduledDwellSeconds
            let elapsed = Double(time - vehicle.departure) / 1000
            let measuredSpeed = vehicle.dwellRemaining > 0 ? 0 : max(0, vehicle.speedKmh * (1 + random.normal(standardDeviation: 0.05)))
            reports.append(
                TransitPosition(
                    vehicleID: vehicle.id, routeID: route.id, eventTime: time, segmentID: route.segmentIDs[vehicle.segment],
                    distanceMeters: rounded(max(0, vehicle.distance + random.normal(standardDeviation: 4)), 1),
                    speedKmh: rounded(measuredSpeed, 1), delaySeconds: (elapsed - scheduled).rounded()))
            vehicles[v] = vehicle
            if done { finished.append(v) }
        }
        for v in finished.reversed() { vehicles.remove(at: v) }
        return reports
    }

    func routeKey(_ routeID: String) -> [UInt8] {
        routes.first { $0.id == routeID }?.key ?? Array(routeID.utf8)
    }
}

/// Rounds to `places` decimals, so JSON stays short and readable.
@inline(__always)
func rounded(_ value: Double, _ places: Int) -> Double {
    let scale = places == 1 ? 10.0 : (places == 2 ? 100.0 : (places == 3 ? 1000.0 : pow(10, Double(places))))
    return (value * scale).rounded() / scale
}
