import CablecarDomain
import CablecarSimulation
import Foundation

/// A small, independent statement of what ingest should reject and why, used to check
/// that every fault the simulator logs really is the fault it claims (and that clean
/// records pass). Deliberately written without the simulator's own tables.
struct ReferenceValidator {
    let sensors: [String: SensorKind]
    let routes: Set<String>
    let segments: Set<String>
    let neighborhoods: Set<String>

    init(city: CityDefinition) {
        sensors = Dictionary(uniqueKeysWithValues: city.sensors.map { ($0.id, $0.kind) })
        routes = Set(city.routes.map(\.id))
        segments = Set(city.segments.map(\.id))
        neighborhoods = Set(city.neighborhoods.map(\.id))
    }

    enum FieldType { case integer, number, string, strings }

    static let schemas: [Topic: [(String, FieldType)]] = [
        .rawLoop: [
            ("sensor_id", .string), ("event_time", .integer), ("interval_s", .integer), ("vehicle_count", .integer), ("occupancy", .number),
            ("speed_kmh", .number),
        ],
        .rawCamera: [
            ("sensor_id", .string), ("event_time", .integer), ("interval_s", .integer), ("cars", .integer), ("trucks", .integer),
            ("buses", .integer), ("bicycles", .integer),
        ],
        .rawGPS: [
            ("vehicle_id", .string), ("route_id", .string), ("event_time", .integer), ("segment_id", .string), ("distance_m", .number),
            ("speed_kmh", .number), ("delay_s", .number),
        ],
        .rawWeather: [
            ("station_id", .string), ("neighborhood", .string), ("event_time", .integer), ("temperature_c", .number),
            ("precipitation_mm_h", .number), ("visibility_m", .number),
        ],
        .rawEvents: [
            ("event_id", .string), ("kind", .string), ("status", .string), ("event_time", .integer), ("neighborhood", .string),
            ("segments", .strings), ("starts_at", .integer),
        ],
    ]

    /// The reason a record should be rejected, or nil when it is acceptable.
    func rejection(_ record: FeedRecord) -> RejectReason? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any] else { return .malformedJSON }
        guard let version = object["v"] else { return .missingField }
        guard let versionNumber = version as? NSNumber, versionNumber.intValue == 1 else { return .unsupportedVersion }
        for (name, type) in Self.schemas[record.topic] ?? [] {
            guard let value = object[name] else { return .missingField }
            switch type {
            case .integer, .number:
                if let text = value as? String { return ["NaN", "Infinity", "-Infinity"].contains(text) ? .notFinite : .wrongType }
                guard value is NSNumber else { return .wrongType }
            case .string:
                guard value is String else { return .wrongType }
            case .strings:
                guard value is [String] else { return .wrongType }
            }
        }
        func number(_ name: String) -> Double { (object[name] as? NSNumber)?.doubleValue ?? .nan }
        func text(_ name: String) -> String { object[name] as? String ?? "" }
        if number("event_time") > Double(record.publishTime) + 3_600_000 { return .futureTimestamp }
        switch record.topic {
        case .rawLoop:
            guard number("interval_s") > 0, number("vehicle_count") >= 0, (0...1).contains(number("occupancy")),
                (0...200).contains(number("speed_kmh"))
            else { return .outOfRange }
            guard sensors[text("sensor_id")] == .loopDetector else { return .unknownSensor }
        case .rawCamera:
            guard number("interval_s") > 0, ["cars", "trucks", "buses", "bicycles"].allSatisfy({ number($0) >= 0 }) else {
                return .outOfRange
            }
            guard sensors[text("sensor_id")] == .camera else { return .unknownSensor }
        case .rawGPS:
            guard number("distance_m") >= 0, (0...200).contains(number("speed_kmh")) else { return .outOfRange }
            guard routes.contains(text("route_id")) else { return .unknownRoute }
            guard segments.contains(text("segment_id")) else { return .unknownSegment }
        case .rawWeather:
            guard (-40...60).contains(number("temperature_c")), (0...300).contains(number("precipitation_mm_h")),
                number("visibility_m") >= 0
            else { return .outOfRange }
            guard neighborhoods.contains(text("neighborhood")) else { return .unknownNeighborhood }
        case .rawEvents:
            guard neighborhoods.contains(text("neighborhood")) else { return .unknownNeighborhood }
            guard (object["segments"] as? [String] ?? []).allSatisfy(segments.contains) else { return .unknownSegment }
        default:
            break
        }
        return nil
    }
}
