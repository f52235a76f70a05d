import CablecarDomain
import Foundation

/// The ids a record may name, looked up once from the city definition.
public struct CityCatalog: Sendable {
    public struct SensorInfo: Sendable, Hashable {
        public var kind: SensorKind
        public var segment: String
        public var neighborhood: String
    }

    public let city: CityDefinition
    public let sensors: [String: SensorInfo]
    public let routes: Set<String>
    /// Segment id → neighborhood id.
    public let segments: [String: String]
    public let neighborhoods: Set<String>

    public init(city: CityDefinition) {
        self.city = city
        let segments = Dictionary(uniqueKeysWithValues: city.segments.map { ($0.id, $0.neighborhood) })
        self.segments = segments
        sensors = Dictionary(
            uniqueKeysWithValues: city.sensors.map {
                ($0.id, SensorInfo(kind: $0.kind, segment: $0.segment, neighborhood: segments[$0.segment] ?? ""))
            })
        routes = Set(city.routes.map(\.id))
        neighborhoods = Set(city.neighborhoods.map(\.id))
    }

    /// Loads and validates a city file; the error names the path and what is wrong with it.
    public static func load(path: String) throws -> CityCatalog {
        CityCatalog(city: try CityDefinition.load(from: URL(fileURLWithPath: path)))
    }

    /// Sensors per segment and kind, for completeness: each segment's expected readings.
    public var sensorsByNeighborhood: [String: Int] {
        sensors.values.reduce(into: [:]) { $0[$1.neighborhood, default: 0] += 1 }
    }
}
