import CablecarDomain
import Foundation

/// Changes to the world from a given day on: the drifts the platform must notice later.
/// The JSON format is documented in `docs/scenarios.md`; examples live in
/// `Simulators/scenarios/`. Days count from the replay's first day (0).
public struct Scenario: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var changes: [ScenarioChange]
    /// Incidents and weather placed at exact times, for tests and demonstrations.
    public var forced: [ForcedIncident]

    public init(name: String, description: String? = nil, changes: [ScenarioChange] = [], forced: [ForcedIncident] = []) {
        self.name = name
        self.description = description
        self.changes = changes
        self.forced = forced
    }

    /// The world as the city file describes it.
    public static let baseline = Scenario(name: "baseline")

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        changes = try container.decodeIfPresent([ScenarioChange].self, forKey: .changes) ?? []
        forced = try container.decodeIfPresent([ForcedIncident].self, forKey: .forced) ?? []
    }

    public static func load(from url: URL) throws -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SimulationError.invalidScenario("cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(Scenario.self, from: data)
        } catch {
            throw SimulationError.invalidScenario("\(url.path) does not match the format in docs/scenarios.md: \(error)")
        }
    }
}

/// One change to the world. Which fields matter depends on `kind` (see docs/scenarios.md).
public struct ScenarioChange: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Lanes closed on segments (a work zone also slows traffic).
        case construction
        /// Demand multiplied in some neighborhoods.
        case demandShift = "demand_shift"
        /// A venue that did not exist before starts holding events.
        case newVenue = "new_venue"
        /// One sensor kind's speed or count reads biased by a factor.
        case sensorRecalibration = "sensor_recalibration"
    }

    public enum Measure: String, Codable, Sendable, CaseIterable {
        case speed, count
    }

    public var kind: Kind
    public var fromDay: Int
    /// Empty means every neighborhood (demand shift, recalibration).
    public var neighborhoods: [String]?
    /// Construction: explicit segments; otherwise every multi-lane segment of `neighborhoods`.
    public var segments: [String]?
    public var lanesClosed: Int?
    public var multiplier: Double?
    public var venue: NewVenue?
    public var sensorKind: SensorKind?
    public var measure: Measure?
    public var factor: Double?

    public init(
        kind: Kind, fromDay: Int, neighborhoods: [String]? = nil, segments: [String]? = nil, lanesClosed: Int? = nil,
        multiplier: Double? = nil, venue: NewVenue? = nil, sensorKind: SensorKind? = nil, measure: Measure? = nil,
        factor: Double? = nil
    ) {
        self.kind = kind
        self.fromDay = fromDay
        self.neighborhoods = neighborhoods
        self.segments = segments
        self.lanesClosed = lanesClosed
        self.multiplier = multiplier
        self.venue = venue
        self.sensorKind = sensorKind
        self.measure = measure
        self.factor = factor
    }

    enum CodingKeys: String, CodingKey {
        case kind, neighborhoods, segments, multiplier, venue, measure, factor
        case fromDay = "from_day"
        case lanesClosed = "lanes_closed"
        case sensorKind = "sensor_kind"
    }
}

/// A venue added by a scenario, with the rhythm of its events.
public struct NewVenue: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var neighborhood: String
    /// Approach segments; when absent, the neighborhood's first multi-lane segments.
    public var segments: [String]?
    public var capacity: Int
    /// Chance of an event on any given day.
    public var eventProbability: Double?
    /// Local start time, `HH:MM`.
    public var startTime: String?
    public var durationHours: Double?

    public init(
        id: String, name: String, neighborhood: String, segments: [String]? = nil, capacity: Int,
        eventProbability: Double? = nil, startTime: String? = nil, durationHours: Double? = nil
    ) {
        self.id = id
        self.name = name
        self.neighborhood = neighborhood
        self.segments = segments
        self.capacity = capacity
        self.eventProbability = eventProbability
        self.startTime = startTime
        self.durationHours = durationHours
    }

    enum CodingKeys: String, CodingKey {
        case id, name, neighborhood, segments, capacity
        case eventProbability = "event_probability"
        case startTime = "start_time"
        case durationHours = "duration_hours"
    }
}

/// A collision or a rain episode at an exact local time.
public struct ForcedIncident: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case collision, rain
    }

    public var kind: Kind
    public var day: Int
    /// Local time, `HH:MM`.
    public var at: String
    public var durationMinutes: Int
    /// Collision: the segment struck.
    public var segment: String?
    public var lanesBlocked: Int?
    /// Rain: intensity in mm per hour.
    public var intensityMmPerHour: Double?

    public init(
        kind: Kind, day: Int, at: String, durationMinutes: Int, segment: String? = nil, lanesBlocked: Int? = nil,
        intensityMmPerHour: Double? = nil
    ) {
        self.kind = kind
        self.day = day
        self.at = at
        self.durationMinutes = durationMinutes
        self.segment = segment
        self.lanesBlocked = lanesBlocked
        self.intensityMmPerHour = intensityMmPerHour
    }

    enum CodingKeys: String, CodingKey {
        case kind, day, at, segment
        case durationMinutes = "duration_minutes"
        case lanesBlocked = "lanes_blocked"
        case intensityMmPerHour = "intensity_mm_h"
    }
}

/// Parses `HH:MM` into minutes after local midnight.
func minutesAfterMidnight(_ text: String) -> Int? {
    let parts = text.split(separator: ":").compactMap { Int($0) }
    guard parts.count == 2, (0...23).contains(parts[0]), (0...59).contains(parts[1]) else { return nil }
    return parts[0] * 60 + parts[1]
}
