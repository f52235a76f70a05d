import CablecarDomain
import Foundation

/// The `CityDefinition` of imported data: one neighborhood per mapping neighborhood, one
/// segment per mapped segment, one loop sensor per detector, no routes or venues. Links a
/// mapping gives one way are completed the other way, as `CityDefinition` validation requires.
public enum ImportedCity {
    /// Capacity per lane when the data says nothing of it (vehicles per hour; an urban arterial's).
    public static let capacityPerLane = 1_800.0

    public static func make(name: String, timeZone: String, mapping: DetectorMapping) throws(ImportError) -> CityDefinition {
        if let problem = TextBounds.problem("name", name, minLength: 1, maxLength: 100) { throw .invalidCity(problem) }
        guard TimeZone(identifier: timeZone) != nil else {
            throw .invalidCity("time zone \(timeZone) is not an IANA time zone name (e.g. America/Los_Angeles)")
        }
        var hoods: [String] = []
        for segment in mapping.segments where !hoods.contains(segment.neighborhood) { hoods.append(segment.neighborhood) }
        var upstream = Dictionary(uniqueKeysWithValues: mapping.segments.map { ($0.id, $0.upstream) })
        var downstream = Dictionary(uniqueKeysWithValues: mapping.segments.map { ($0.id, $0.downstream) })
        for segment in mapping.segments {
            for next in segment.downstream where upstream[next] != nil && !(upstream[next] ?? []).contains(segment.id) {
                upstream[next, default: []].append(segment.id)
            }
            for previous in segment.upstream where downstream[previous] != nil && !(downstream[previous] ?? []).contains(segment.id) {
                downstream[previous, default: []].append(segment.id)
            }
        }
        let segments = mapping.segments.map { spec in
            RoadSegment(
                id: spec.id, neighborhood: spec.neighborhood, lengthMeters: spec.lengthMeters, lanes: spec.lanes,
                freeFlowSpeedKmh: spec.freeFlowSpeedKmh, capacityPerLane: capacityPerLane, upstream: upstream[spec.id] ?? [],
                downstream: downstream[spec.id] ?? [])
        }
        let sensors = mapping.segmentOfDetector.keys.sorted().map { detector in
            Sensor(id: detector, kind: .loopDetector, segment: mapping.segmentOfDetector[detector] ?? "")
        }
        let city = CityDefinition(
            name: name, timeZone: timeZone,
            neighborhoods: hoods.map { Neighborhood(id: $0, name: $0, profile: .mixed) }, segments: segments, sensors: sensors,
            routes: [], venues: [])
        do {
            try city.validate()
        } catch {
            throw .invalidCity("\(error)")
        }
        return city
    }

    /// The city as readable JSON, for `--city` and `CABLECAR_INGEST_CITY`.
    public static func json(_ city: CityDefinition) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(city)
    }
}
