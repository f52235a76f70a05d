import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

@Suite("Bundled city")
struct CityTests {
    let city = Fixtures.city

    @Test func hasTheRequiredNeighborhoodsAndCounts() throws {
        let names = Set(city.neighborhoods.map(\.name))
        for required in ["Mission", "SoMa", "Financial District", "Tenderloin", "Sunset", "Richmond", "Bayview", "Chinatown"] {
            #expect(names.contains(required), "missing neighborhood \(required)")
        }
        #expect(city.neighborhoods.count >= 8)
        #expect(city.segments.count >= 200)
        #expect(city.sensors.filter { $0.kind == .loopDetector }.count >= 100)
        #expect(city.sensors.filter { $0.kind == .camera }.count >= 12)
        #expect(city.routes.count >= 5)
        #expect(city.routes.allSatisfy { route in !route.stops.isEmpty && route.stops.allSatisfy { route.segments.contains($0.segment) } })
        let ballpark = try #require(city.venues.first { $0.id == "ballpark" })
        #expect(ballpark.neighborhood == "soma")
        #expect(city.venues.count >= 3)
        // Every neighborhood has road, sensors and differs in profile from at least one other.
        for hood in city.neighborhoods {
            #expect(city.segments.contains { $0.neighborhood == hood.id })
        }
        #expect(Set(city.neighborhoods.map(\.profile)).count >= 4)
        try city.validate()
    }

    @Test func roadGraphIsStronglyConnectedAndConsistent() {
        let byID = Dictionary(uniqueKeysWithValues: city.segments.map { ($0.id, $0) })
        for segment in city.segments {
            for next in segment.downstream { #expect(byID[next]?.upstream.contains(segment.id) == true) }
            for previous in segment.upstream { #expect(byID[previous]?.downstream.contains(segment.id) == true) }
            #expect(!segment.downstream.isEmpty && !segment.upstream.isEmpty)
        }
        func reachable(_ neighbors: (RoadSegment) -> [String]) -> Int {
            var seen: Set<String> = [city.segments[0].id]
            var frontier = [city.segments[0].id]
            while let id = frontier.popLast() {
                for next in neighbors(byID[id]!) where seen.insert(next).inserted { frontier.append(next) }
            }
            return seen.count
        }
        #expect(reachable(\.downstream) == city.segments.count)
        #expect(reachable(\.upstream) == city.segments.count)
    }

    @Test func committedFileMatchesTheGenerator() throws {
        let url = try #require(CityDefinition.bundledDefaultURL)
        let committed = try Data(contentsOf: url)
        let generated = try SyntheticCityGenerator.json(SyntheticCityGenerator.generate())
        #expect(committed == generated, "Resources/city.json is stale: run scripts/sim-generate-city")
    }

    @Test func brokenCityFailsWithAPreciseMessage() throws {
        var broken = city
        broken.segments[0].neighborhood = "atlantis"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("broken-city-\(UInt32.random(in: 0...UInt32.max)).json")
        try SyntheticCityGenerator.json(broken).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: CityDefinitionError.invalid("segment \(broken.segments[0].id) names unknown neighborhood atlantis")) {
            try CityDefinition.load(from: url)
        }
    }
}
