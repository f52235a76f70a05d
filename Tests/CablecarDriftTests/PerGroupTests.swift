import Foundation
import Testing

@testable import CablecarDrift

@Suite("Per-group results equal separate runs")
struct PerGroupTests {
    @Test func groupedComparisonEqualsOneRunPerGroup() async throws {
        var rng = SplitMix64(seed: 99)
        let hoods = ["Mission", "SoMa", "Sunset"]
        var reference = "neighborhood,speed,flow,weather\n"
        var current = reference
        var refColumns: [String: (speed: [Double], flow: [Double], weather: [String?])] = [:]
        var curColumns = refColumns
        for side in 0..<2 {
            let rows = side == 0 ? 3600 : 2400
            for i in 0..<rows {
                let hood = hoods[i % 3]
                let speed = (40 + rng.normalish() * 5 + (side == 1 && hood == "SoMa" ? 3 : 0) * 1000).rounded() / 1000
                let flow = (900 + 80 * rng.normalish() * 100).rounded() / 100
                let weather = ["sun", "rain", "fog"][Int(rng.uniform() * 3) % 3]
                let line = "\(hood),\(speed),\(flow),\(weather)\n"
                if side == 0 {
                    reference += line
                    refColumns[hood, default: ([], [], [])].speed.append(speed)
                    refColumns[hood, default: ([], [], [])].flow.append(flow)
                    refColumns[hood, default: ([], [], [])].weather.append(weather)
                } else {
                    current += line
                    curColumns[hood, default: ([], [], [])].speed.append(speed)
                    curColumns[hood, default: ([], [], [])].flow.append(flow)
                    curColumns[hood, default: ([], [], [])].weather.append(weather)
                }
            }
        }
        let ref = try temporaryCSV(reference, name: "reference.csv")
        let cur = try temporaryCSV(current, name: "current.csv")
        let grouped = try await DriftCompareRunner.compare(
            .init(
                referencePath: ref, currentPath: cur,
                columns: ColumnRequest(groupColumn: "neighborhood", categorical: ["weather"])))
        #expect(grouped.groups.count == 3)
        let specs = [
            FeatureSpec(name: "speed", kind: .numerical), FeatureSpec(name: "flow", kind: .numerical),
            FeatureSpec(name: "weather", kind: .categorical),
        ]
        for hood in hoods {
            let r = try #require(refColumns[hood])
            let c = try #require(curColumns[hood])
            let alone = await DriftComparison.compare(
                reference: DatasetProfile.build(groups: [
                    hood: ["speed": .numerical(r.speed), "flow": .numerical(r.flow), "weather": .categorical(r.weather)]
                ]),
                current: DatasetProfile.build(groups: [
                    hood: ["speed": .numerical(c.speed), "flow": .numerical(c.flow), "weather": .categorical(c.weather)]
                ]),
                features: specs)
            let fromGrouped = try #require(grouped.groups.first { $0.group == hood })
            let separate = try #require(alone.groups.first)
            #expect(fromGrouped.features == separate.features, "\(hood) differs")
            #expect(fromGrouped.drifted == separate.drifted)
            // And the statistics are the plain functions on that group's values.
            let speed = try #require(fromGrouped.features.first { $0.feature == "speed" })
            #expect(
                speed.statistic
                    == Wasserstein.normalized(
                        distance: Wasserstein.distance(r.speed, c.speed),
                        referenceStandardDeviation: r.speed.sorted().withUnsafeBufferPointer { Moments.of($0).standardDeviation }))
        }
        #expect(grouped.groups.first?.group == "SoMa", "the shifted group should come first")
    }
}
