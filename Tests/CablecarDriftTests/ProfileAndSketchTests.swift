import Foundation
import Testing

@testable import CablecarDrift

@Suite("Reference profiles and the quantile sketch")
struct ProfileAndSketchTests {
    @Test func sketchRankErrorStaysWithinItsBound() {
        var rng = SplitMix64(seed: 5)
        let values = (0..<200_000).map { _ in rng.normalish() * 3 }
        var sketch = QuantileSketch(capacity: 512)
        values.withUnsafeBufferPointer { sketch.add(contentsOf: $0) }
        let exact = values.sorted()
        let weighted = sketch.weightedSample()
        #expect(weighted.totalWeight == Double(values.count))
        let n = Double(values.count)
        #expect(sketch.rankErrorBound <= n * (log2(n / 512) + 1) / 511)
        var worst = 0.0
        for q in stride(from: 0.0, through: 1.0, by: 0.01) {
            let x = exact[min(Int(q * n), exact.count - 1)]
            let trueRank = Double(exact.withUnsafeBufferPointer { Binning.upperBound($0, x) })
            worst = max(worst, abs(weighted.weight(atMost: x) - trueRank))
        }
        #expect(worst <= sketch.rankErrorBound, "worst rank error \(worst) > bound \(sketch.rankErrorBound)")
        #expect(sketch.levels.reduce(0) { $0 + $1.count } < 512 * 12, "the sketch must stay small")
    }

    @Test func mergedSketchesKeepTheBoundAndTheKSStatistic() {
        var rng = SplitMix64(seed: 6)
        let a = (0..<60_000).map { _ in rng.normalish() }
        let b = (0..<40_000).map { _ in rng.normalish() + 0.2 }
        var sa = QuantileSketch(capacity: 1024)
        var sb = QuantileSketch(capacity: 1024)
        a.withUnsafeBufferPointer { sa.add(contentsOf: $0) }
        b.withUnsafeBufferPointer { sb.add(contentsOf: $0) }
        sa.merge(sb)
        let all = (a + b).sorted()
        let exactD = KolmogorovSmirnovTest.test(all, b).statistic
        let sketchD = WeightedStatistics.ksStatistic(sa.weightedSample(), WeightedSample(sortedUnitValues: b.sorted()))
        #expect(sa.count == 100_000)
        #expect(abs(sketchD - exactD) <= sa.rankErrorBound / Double(sa.count) + 1e-12)
    }

    @Test func profilesRoundTripThroughJSONAndCompareTheSame() async throws {
        var rng = SplitMix64(seed: 11)
        let groups: [String: [String: FeatureValues]] = [
            "Mission": [
                "speed": .numerical((0..<3000).map { _ in rng.normalish() }),
                "mode": .categorical((0..<3000).map { _ in rng.uniform() < 0.3 ? "bus" : "rail" }),
            ],
            "SoMa": [
                "speed": .numerical((0..<200).map { _ in rng.normalish() + 1 }),
                "mode": .categorical((0..<200).map { _ in rng.uniform() < 0.5 ? "bus" : nil }),
            ],
        ]
        for mode in [ProfileMode.exact, .sketch(capacity: 256)] {
            let profile = DatasetProfile.build(groups: groups, groupColumn: "neighborhood", mode: mode)
            let decoded = try DatasetProfile.load(jsonData: profile.jsonData())
            #expect(decoded == profile)
            let current = DatasetProfile.build(groups: groups)
            let direct = await DriftComparison.compare(reference: profile, current: current)
            let viaJSON = await DriftComparison.compare(reference: decoded, current: current)
            #expect(direct == viaJSON)
        }
        #expect(throws: DriftError.self) { try DatasetProfile.load(jsonData: Data("{\"v\": 99}".utf8)) }
    }

    @Test func sketchedReferenceAgreesWithExactDecisions() async {
        var rng = SplitMix64(seed: 12)
        let reference = (0..<50_000).map { _ in rng.normalish() }
        let same = (0..<20_000).map { _ in rng.normalish() }
        let shifted = (0..<20_000).map { _ in rng.normalish() + 0.3 }
        let exact = DatasetProfile.build(groups: ["g": ["x": .numerical(reference)]])
        let sketched = DatasetProfile.build(groups: ["g": ["x": .numerical(reference)]], mode: .sketch(capacity: 2048))
        for current in [same, shifted] {
            let cur = DatasetProfile.build(groups: ["g": ["x": .numerical(current)]])
            let e = await DriftComparison.compare(reference: exact, current: cur)
            let s = await DriftComparison.compare(reference: sketched, current: cur)
            let ef = e.groups[0].features[0]
            let sf = s.groups[0].features[0]
            #expect(ef.drifted == sf.drifted)
            #expect(abs((ef.statistic ?? 0) - (sf.statistic ?? 1)) < 0.01)
            #expect(sf.notes.contains { $0.contains("quantile sketch") })
        }
    }
}
