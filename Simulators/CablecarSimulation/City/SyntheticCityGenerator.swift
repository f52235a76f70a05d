import CablecarDomain
import Foundation

/// Builds the bundled SF-like city from `SyntheticCityLayout`: a street lattice split into
/// neighborhood blocks, two-way streets as pairs of directed segments, arterials every few
/// blocks, sensors, transit lines and venues.
///
/// Deterministic (its own fixed seed), so `Resources/city.json` can be regenerated with
/// `scripts/sim-generate-city` and a test checks that the committed file still matches.
public enum SyntheticCityGenerator {
    public static let seed: UInt64 = 0x5F_C17E

    private struct Node: Hashable {
        var x: Int
        var y: Int
    }

    private enum Heading: String, CaseIterable {
        case north = "n"
        case south = "s"
        case east = "e"
        case west = "w"
        var step: (dx: Int, dy: Int) {
            switch self {
            case .north: (0, -1)
            case .south: (0, 1)
            case .east: (1, 0)
            case .west: (-1, 0)
            }
        }
    }

    public static func generate() -> CityDefinition {
        var random = SeededRandom(seed: seed)
        let layout = SyntheticCityLayout.self
        let width = layout.blocks[0].count * layout.blockColumns
        let height = layout.blocks.count * layout.blockRows

        func block(of node: Node) -> (id: String, name: String, profile: DemandProfile, compact: Bool) {
            layout.blocks[node.y / layout.blockRows][node.x / layout.blockColumns]
        }
        func isArterialRow(_ y: Int) -> Bool { y % layout.blockRows == layout.blockRows - 1 }
        func isArterialColumn(_ x: Int) -> Bool { x % layout.blockColumns == 1 }
        func segmentID(_ from: Node, _ heading: Heading) -> String {
            "seg-\(block(of: from).id)-\(pad(from.x))-\(pad(from.y))-\(heading.rawValue)"
        }
        func inside(_ node: Node) -> Bool { node.x >= 0 && node.x < width && node.y >= 0 && node.y < height }

        // Links in a fixed order (row-major nodes, headings in declaration order) so ids and
        // the random draws that size them never depend on hashing.
        var links: [(id: String, from: Node, to: Node, heading: Heading)] = []
        for y in 0..<height {
            for x in 0..<width {
                let from = Node(x: x, y: y)
                for heading in Heading.allCases {
                    let to = Node(x: x + heading.step.dx, y: y + heading.step.dy)
                    if inside(to) { links.append((segmentID(from, heading), from, to, heading)) }
                }
            }
        }
        var entering: [Node: [String]] = [:]
        var leaving: [Node: [String]] = [:]
        for link in links {
            entering[link.to, default: []].append(link.id)
            leaving[link.from, default: []].append(link.id)
        }
        let reverseOf = Dictionary(uniqueKeysWithValues: links.map { ("\($0.from.x),\($0.from.y)>\($0.to.x),\($0.to.y)", $0.id) })
        func reverse(_ from: Node, _ to: Node) -> String? { reverseOf["\(to.x),\(to.y)>\(from.x),\(from.y)"] }

        var segments: [RoadSegment] = []
        var arterialIDs: [String] = []
        for link in links {
            let horizontal = link.heading == .east || link.heading == .west
            let arterial = horizontal ? isArterialRow(link.from.y) : isArterialColumn(link.from.x)
            let compact = block(of: link.from).compact
            let lanes = arterial ? (horizontal && link.from.y == 1 ? 3 : 2) : 1
            let speed: Double = arterial ? (horizontal && link.from.y == 1 ? 50 : 40) : (compact ? 25 : 30)
            let baseLength: Double = compact ? 190 : 330
            let length = (baseLength * random.uniform(0.8...1.25)).rounded()
            let capacity: Double = arterial ? 1_000 : 700
            // No U-turns: traffic leaving this link goes anywhere but straight back.
            let uTurn = reverse(link.from, link.to)
            let downstream = (leaving[link.to] ?? []).filter { $0 != uTurn }
            let upstream = (entering[link.from] ?? []).filter { $0 != uTurn }
            segments.append(
                RoadSegment(
                    id: link.id, neighborhood: block(of: link.from).id, lengthMeters: length, lanes: lanes,
                    freeFlowSpeedKmh: speed, capacityPerLane: capacity, upstream: upstream, downstream: downstream))
            if arterial { arterialIDs.append(link.id) }
        }

        var sensors: [Sensor] = []
        var loopCount = 0
        for (index, link) in links.enumerated() {
            let arterial = arterialIDs.contains(link.id)
            if arterial || (link.from.x + link.from.y + index) % 4 == 0 {
                loopCount += 1
                sensors.append(Sensor(id: "loop-\(pad(loopCount, width: 3))", kind: .loopDetector, segment: link.id))
            }
        }
        var cameraCount = 0
        for row in layout.blocks {
            for hood in row {
                // Two cameras per neighborhood, on its first arterials in id order.
                for id in arterialIDs.filter({ $0.hasPrefix("seg-\(hood.id)-") }).sorted().prefix(2) {
                    cameraCount += 1
                    sensors.append(Sensor(id: "cam-\(pad(cameraCount, width: 3))", kind: .camera, segment: id))
                }
            }
        }

        let routes = layout.lines.map { line -> TransitRoute in
            let step = line.to > line.from ? 1 : -1
            var path: [String] = []
            var stops: [TransitStop] = []
            var position = line.from
            while position != line.to {
                let from = line.axis == .row ? Node(x: position, y: line.index) : Node(x: line.index, y: position)
                let heading: Heading = line.axis == .row ? (step > 0 ? .east : .west) : (step > 0 ? .south : .north)
                let id = segmentID(from, heading)
                if path.count % 2 == 0 {
                    let cross = line.axis == .row ? layout.columnStreets[from.x] : layout.rowStreets[from.y]
                    let along = line.axis == .row ? layout.rowStreets[line.index] : layout.columnStreets[line.index]
                    stops.append(TransitStop(id: "stop-\(line.id)-\(pad(stops.count + 1))", name: "\(along) & \(cross)", segment: id))
                }
                path.append(id)
                position += step
            }
            return TransitRoute(id: line.id, name: line.name, segments: path, stops: stops, headwayMinutes: line.headwayMinutes)
        }

        let venues = layout.venues.map { site in
            Venue(
                id: site.id, name: site.name, neighborhood: site.neighborhood,
                segments: entering[Node(x: site.x, y: site.y)] ?? [], capacity: site.capacity)
        }
        let neighborhoods = layout.blocks.flatMap { $0 }.map { Neighborhood(id: $0.id, name: $0.name, profile: $0.profile) }
        return CityDefinition(
            name: "Cablecar Bay", timeZone: "America/Los_Angeles", neighborhoods: neighborhoods, segments: segments,
            sensors: sensors, routes: routes, venues: venues)
    }

    /// The readable JSON committed as `Resources/city.json`.
    public static func json(_ city: CityDefinition) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(city)
        data.append(0x0A)
        return data
    }

    private static func pad(_ value: Int, width: Int = 2) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
