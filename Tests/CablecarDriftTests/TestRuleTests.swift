import Foundation
import Testing

@testable import CablecarDrift

@Suite("Default test choice and thresholds follow Evidently")
struct TestRuleTests {
    @Test(arguments: [
        (FeatureKind.numerical, 1000, 6, StatTest.ks),
        (.numerical, 1000, 5, .chisquare),
        (.numerical, 1000, 3, .chisquare),
        (.numerical, 1000, 2, .z),
        (.categorical, 1000, 40, .chisquare),
        (.categorical, 10, 2, .z),
        (.numerical, 1001, 6, .wasserstein),
        (.numerical, 1001, 5, .jensenshannon),
        (.numerical, 5000, 2, .jensenshannon),
        (.categorical, 1001, 2, .jensenshannon),
        (.categorical, 50_000, 30, .jensenshannon),
    ])
    func chooses(kind: FeatureKind, referenceRows: Int, distinct: Int, expected: StatTest) {
        #expect(DefaultTestRule.choose(kind: kind, referenceCount: referenceRows, combinedDistinct: distinct) == expected)
    }

    @Test func thresholdsAndDirections() {
        #expect(StatTest.ks.defaultThreshold == 0.05)
        #expect(StatTest.chisquare.defaultThreshold == 0.05)
        #expect(StatTest.z.defaultThreshold == 0.05)
        #expect(StatTest.wasserstein.defaultThreshold == 0.1)
        #expect(StatTest.jensenshannon.defaultThreshold == 0.1)
        #expect(StatTest.psi.defaultThreshold == 0.1)
        // KS flags at p <= threshold, chi-square and Z only below it, distances at or above it.
        #expect(StatTest.ks.isDrift(score: 0.05, threshold: 0.05))
        #expect(!StatTest.chisquare.isDrift(score: 0.05, threshold: 0.05))
        #expect(!StatTest.z.isDrift(score: 0.05, threshold: 0.05))
        #expect(StatTest.wasserstein.isDrift(score: 0.1, threshold: 0.1))
        #expect(!StatTest.jensenshannon.isDrift(score: 0.0999, threshold: 0.1))
    }

    @Test func ruleAppliedThroughComparison() async {
        var rng = SplitMix64(seed: 7)
        let small = (0..<500).map { _ in rng.normalish() }
        let large = (0..<2000).map { _ in rng.normalish() }
        let binary = (0..<500).map { _ in rng.uniform() < 0.5 ? 0.0 : 1.0 }
        let fewValued = (0..<500).map { _ in Double(Int(rng.uniform() * 4)) }
        let labels: [String?] = (0..<500).map { _ in ["a", "b", "c"][Int(rng.uniform() * 3)] }
        let reference = DatasetProfile.build(groups: [
            "g": [
                "small": .numerical(small), "binary": .numerical(binary), "few": .numerical(fewValued), "label": .categorical(labels),
            ], "big": ["small": .numerical(large)],
        ])
        let report = await DriftComparison.compare(reference: reference, current: reference)
        let g = report.groups.first { $0.group == "g" }
        let tests = Dictionary(uniqueKeysWithValues: (g?.features ?? []).map { ($0.feature, $0.test) })
        #expect(tests["small"] == .ks)
        #expect(tests["binary"] == .z)
        #expect(tests["few"] == .chisquare)
        #expect(tests["label"] == .chisquare)
        let big = report.groups.first { $0.group == "big" }
        #expect(big?.features.first { $0.feature == "small" }?.test == .wasserstein)
        #expect(report.driftedGroups == 0)
    }

    @Test func overridesWinOverTheRule() async {
        var rng = SplitMix64(seed: 8)
        let values = (0..<300).map { _ in rng.normalish() }
        let profile = DatasetProfile.build(groups: ["g": ["x": .numerical(values)]])
        let report = await DriftComparison.compare(
            reference: profile, current: profile,
            features: [FeatureSpec(name: "x", kind: .numerical, test: .psi, threshold: 0.2)])
        let feature = report.groups.first?.features.first
        #expect(feature?.test == .psi)
        #expect(feature?.threshold == 0.2)
        #expect(feature?.pValue == nil)
        #expect(feature?.statistic == 0)
    }
}
