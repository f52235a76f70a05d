import CablecarDomain

/// A readable overview of a city, for `cablecar-sim city`.
public enum CitySummary {
    public static func lines(_ city: CityDefinition) -> [String] {
        var lines = ["\(city.name) (\(city.timeZone)), city file version \(city.version)"]
        let loops = city.sensors.filter { $0.kind == .loopDetector }.count
        let cameras = city.sensors.count - loops
        let lanes = city.segments.reduce(0) { $0 + $1.lanes }
        let kilometers = city.segments.reduce(0.0) { $0 + $1.lengthMeters } / 1000
        lines.append(
            "\(city.neighborhoods.count) neighborhoods, \(city.segments.count) directed segments (\(lanes) lanes, \(Int(kilometers.rounded())) km)"
        )
        lines.append("\(loops) loop detectors, \(cameras) cameras, \(city.routes.count) transit routes, \(city.venues.count) venues")
        lines.append("")
        lines.append("neighborhood         profile      segments  loops  cameras")
        for hood in city.neighborhoods {
            let segments = Set(city.segments.filter { $0.neighborhood == hood.id }.map(\.id))
            let sensors = city.sensors.filter { segments.contains($0.segment) }
            let hoodLoops = sensors.filter { $0.kind == .loopDetector }.count
            lines.append(
                "\(pad(hood.name, 20)) \(pad(hood.profile.rawValue, 12)) \(pad(String(segments.count), 9)) \(pad(String(hoodLoops), 6)) \(sensors.count - hoodLoops)"
            )
        }
        lines.append("")
        lines.append("routes:")
        for route in city.routes {
            lines.append(
                "  \(pad(route.id, 4)) \(pad(route.name, 22)) \(route.segments.count) segments, \(route.stops.count) stops, every \(formatted(route.headwayMinutes)) min"
            )
        }
        lines.append("venues:")
        for venue in city.venues {
            lines.append(
                "  \(pad(venue.name, 22)) \(pad(venue.neighborhood, 14)) capacity \(venue.capacity), \(venue.segments.count) approach segments"
            )
        }
        return lines
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
