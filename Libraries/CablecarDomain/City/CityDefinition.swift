import Foundation

/// A city as the platform sees it: neighborhoods, a directed road graph, sensors on the
/// roads, transit routes and venues. Loaded from a readable JSON file a user can edit
/// (the simulator ships one; see `docs/city.md`).
public struct CityDefinition: Codable, Sendable, Equatable {
    public var version: Int
    public var name: String
    /// IANA time zone of the city; demand follows local clock time.
    public var timeZone: String
    public var neighborhoods: [Neighborhood]
    public var segments: [RoadSegment]
    public var sensors: [Sensor]
    public var routes: [TransitRoute]
    public var venues: [Venue]

    public init(
        version: Int = 1, name: String, timeZone: String, neighborhoods: [Neighborhood],
        segments: [RoadSegment], sensors: [Sensor], routes: [TransitRoute], venues: [Venue]
    ) {
        self.version = version
        self.name = name
        self.timeZone = timeZone
        self.neighborhoods = neighborhoods
        self.segments = segments
        self.sensors = sensors
        self.routes = routes
        self.venues = venues
    }

    enum CodingKeys: String, CodingKey {
        case version, name, neighborhoods, segments, sensors, routes, venues
        case timeZone = "time_zone"
    }

    public static func load(from url: URL) throws -> CityDefinition {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CityDefinitionError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let city: CityDefinition
        do {
            city = try JSONDecoder().decode(CityDefinition.self, from: data)
        } catch {
            throw CityDefinitionError.malformed(path: url.path, reason: "\(error)")
        }
        try city.validate()
        return city
    }
}

public enum CityDefinitionError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read city definition \(path): \(reason) A relative path is read from the working directory: start the "
                + "service from the repository's root (the default is its bundled city, "
                + "Simulators/CablecarSimulation/Resources/city.json) or set the service's CABLECAR_*_CITY variable to the file"
                + " (README, Configuration)"
        case .malformed(let path, let reason): "city definition \(path) is not valid JSON of the expected shape: \(reason)"
        case .invalid(let reason): "city definition is inconsistent: \(reason)"
        }
    }
}
