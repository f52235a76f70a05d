import CablecarDomain

/// A scenario checked against a city and turned into per-index effects, so a typo in a
/// neighborhood or segment fails before the run instead of silently changing nothing.
struct ResolvedScenario: Sendable {
    struct Construction: Sendable {
        var fromDay: Int
        var segments: [Int]
        var lanesClosed: Int
        var neighborhoods: [String]
    }

    struct DemandShift: Sendable {
        var fromDay: Int
        var neighborhoods: Set<Int>
        var multiplier: Double
    }

    struct VenueSchedule: Sendable {
        var fromDay: Int
        var venue: Venue
        var segments: [Int]
        var eventProbability: Double
        var startMinute: Int?
        var durationHours: Double?
    }

    struct Recalibration: Sendable {
        var fromDay: Int
        var sensorKind: SensorKind
        var measure: ScenarioChange.Measure
        var factor: Double
        var neighborhoods: Set<Int>
    }

    struct Forced: Sendable {
        var kind: ForcedIncident.Kind
        var day: Int
        var minute: Int
        var durationMinutes: Int
        var segment: Int?
        var lanesBlocked: Int
        var intensity: Double
    }

    var constructions: [Construction] = []
    var shifts: [DemandShift] = []
    var venues: [VenueSchedule] = []
    var recalibrations: [Recalibration] = []
    var forced: [Forced] = []

    /// Multipliers and sensor factors a scenario may use: finite, and far enough from zero and
    /// infinity that the simulated numbers stay in range (an infinite demand was accepted before).
    static let scaleRange: ClosedRange<Double> = 0.01...100

    init(_ scenario: Scenario, index: CityIndex) throws {
        func fail(_ text: String) -> SimulationError { .invalidScenario("\(scenario.name): \(text)") }
        func neighborhoods(_ names: [String]?) throws -> Set<Int> {
            guard let names, !names.isEmpty else { return Set(index.profiles.indices) }
            return Set(
                try names.map { name in
                    guard let found = index.neighborhoodIndex[name] else {
                        throw fail("unknown neighborhood \(name); known: \(index.city.neighborhoods.map(\.id).joined(separator: ", "))")
                    }
                    return found
                })
        }
        func segments(_ ids: [String]) throws -> [Int] {
            try ids.map { id in
                guard let found = index.segmentIndex[id] else { throw fail("unknown segment \(id)") }
                return found
            }
        }
        for change in scenario.changes {
            guard change.fromDay >= 0 else { throw fail("\(change.kind.rawValue) needs from_day >= 0") }
            let hoods = try neighborhoods(change.neighborhoods)
            switch change.kind {
            case .construction:
                let lanes = change.lanesClosed ?? 1
                guard lanes >= 1 else { throw fail("construction needs lanes_closed >= 1") }
                let chosen: [Int]
                if let explicit = change.segments, !explicit.isEmpty {
                    chosen = try segments(explicit)
                } else {
                    guard let names = change.neighborhoods, !names.isEmpty else {
                        throw fail("construction needs segments or neighborhoods")
                    }
                    chosen = index.arterials.filter { hoods.contains(index.neighborhoodOfSegment[$0]) }
                }
                let names = chosen.map { index.segments[$0].neighborhood }
                var unique: [String] = []
                for name in names where !unique.contains(name) { unique.append(name) }
                constructions.append(Construction(fromDay: change.fromDay, segments: chosen, lanesClosed: lanes, neighborhoods: unique))
            case .demandShift:
                guard let multiplier = change.multiplier, Self.scaleRange.contains(multiplier) else {
                    throw fail("demand_shift needs a multiplier from \(Self.scaleRange.lowerBound) to \(Self.scaleRange.upperBound)")
                }
                shifts.append(DemandShift(fromDay: change.fromDay, neighborhoods: hoods, multiplier: multiplier))
            case .newVenue:
                guard let spec = change.venue else { throw fail("new_venue needs a venue object") }
                guard let hood = index.neighborhoodIndex[spec.neighborhood] else {
                    throw fail("new venue \(spec.id) names unknown neighborhood \(spec.neighborhood)")
                }
                guard spec.capacity > 0 else { throw fail("new venue \(spec.id) needs capacity > 0") }
                var approach = try segments(spec.segments ?? [])
                if approach.isEmpty {
                    approach = Array(index.arterials.filter { index.neighborhoodOfSegment[$0] == hood }.prefix(3))
                }
                guard !approach.isEmpty else { throw fail("new venue \(spec.id): neighborhood \(spec.neighborhood) has no segments") }
                var start: Int?
                if let text = spec.startTime {
                    guard let minute = minutesAfterMidnight(text) else { throw fail("new venue \(spec.id): start_time must be HH:MM") }
                    start = minute
                }
                let venue = Venue(
                    id: spec.id, name: spec.name, neighborhood: spec.neighborhood,
                    segments: approach.map { index.segments[$0].id }, capacity: spec.capacity)
                venues.append(
                    VenueSchedule(
                        fromDay: change.fromDay, venue: venue, segments: approach, eventProbability: spec.eventProbability ?? 0.6,
                        startMinute: start, durationHours: spec.durationHours))
            case .sensorRecalibration:
                guard let kind = change.sensorKind, let measure = change.measure, let factor = change.factor,
                    Self.scaleRange.contains(factor)
                else {
                    throw fail(
                        "sensor_recalibration needs sensor_kind, measure and a factor from \(Self.scaleRange.lowerBound) to \(Self.scaleRange.upperBound)"
                    )
                }
                guard !(kind == .camera && measure == .speed) else { throw fail("cameras count vehicles; they have no speed to bias") }
                recalibrations.append(
                    Recalibration(fromDay: change.fromDay, sensorKind: kind, measure: measure, factor: factor, neighborhoods: hoods))
            }
        }
        for incident in scenario.forced {
            guard let minute = minutesAfterMidnight(incident.at) else { throw fail("forced \(incident.kind.rawValue): at must be HH:MM") }
            guard incident.day >= 0, incident.durationMinutes > 0 else {
                throw fail("forced \(incident.kind.rawValue) needs day >= 0 and duration_minutes > 0")
            }
            var segment: Int?
            if incident.kind == .collision {
                guard let id = incident.segment, let found = index.segmentIndex[id] else {
                    throw fail("forced collision needs a known segment (got \(incident.segment ?? "none"))")
                }
                segment = found
            }
            forced.append(
                Forced(
                    kind: incident.kind, day: incident.day, minute: minute, durationMinutes: incident.durationMinutes,
                    segment: segment, lanesBlocked: max(1, incident.lanesBlocked ?? 1), intensity: incident.intensityMmPerHour ?? 6))
        }
    }

    func demandMultiplier(neighborhood: Int, day: Int) -> Double {
        var value = 1.0
        for shift in shifts where day >= shift.fromDay && shift.neighborhoods.contains(neighborhood) {
            value *= shift.multiplier
        }
        return value
    }

    func sensorBias(kind: SensorKind, measure: ScenarioChange.Measure, neighborhood: Int, day: Int) -> Double {
        var value = 1.0
        for change in recalibrations
        where day >= change.fromDay && change.sensorKind == kind && change.measure == measure
            && change.neighborhoods.contains(neighborhood)
        {
            value *= change.factor
        }
        return value
    }
}

extension Scenario {
    /// Checks the scenario against a city (known neighborhoods, valid times and measures), as a
    /// replay does before it starts: the mistake is reported without simulating anything.
    public func validate(against city: CityDefinition) throws {
        _ = try ResolvedScenario(self, index: CityIndex(city: city))
    }
}
