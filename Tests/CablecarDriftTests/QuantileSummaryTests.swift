import Foundation
import Testing

@testable import CablecarDrift

/// The reference profile's summaries measure what the exact statistics measure, within the
/// bound the summary's size sets.
@Suite struct QuantileSummaryTests {
    static func normal(_ count: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u1 = max(random.uniform(), 1e-12)
            let u2 = random.uniform()
            return mean + sd * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    @Test(arguments: [0.0, 0.3, 1.0])
    func summaryAgreesWithTheExactStatistics(shiftInSD: Double) throws {
        let reference = Self.normal(20_000, mean: 40, sd: 8, seed: 1)
        let current = Self.normal(3_000, mean: 40 + 8 * shiftInSD, sd: 8, seed: 2)
        let summary = QuantileSummary(values: reference)
        #expect(summary.quantiles.count == QuantileSummary.defaultPoints)
        let shift = try #require(summary.shift(to: current))
        let exactDistance = Wasserstein.distance(reference, current)
        let sd = summary.standardDeviation
        #expect(abs(shift.normalizedWasserstein - exactDistance / sd) < 0.02, "\(shift.normalizedWasserstein) vs \(exactDistance / sd)")
        let exactKS = KolmogorovSmirnovTest.test(reference, current).statistic
        #expect(abs(shift.ksStatistic - exactKS) <= 1.0 / Double(QuantileSummary.defaultPoints) + 1e-9)
        #expect(shift.referenceCount == 20_000 && shift.currentCount == 3_000)
        if shiftInSD == 0 {
            #expect(shift.normalizedWasserstein < 0.05)
            #expect(shift.psi < 0.02)
            #expect(!shift.evidentlyDrifted)
        } else {
            #expect(abs(shift.normalizedWasserstein - shiftInSD) < 0.05)
            #expect(shift.ksPValue < 1e-6)
            #expect(shift.evidentlyDrifted)
            #expect(shift.psi > (shiftInSD >= 1 ? 0.5 : 0.05))
        }
    }

    @Test func missingValuesAreCountedAndIgnored() throws {
        let summary = QuantileSummary(values: [1, 2, .nan, 3, .infinity, 4])
        #expect(summary.count == 4 && summary.missing == 2)
        #expect(summary.quantiles == [1, 2, 3, 4])
        #expect(summary.shift(to: [.nan]) == nil)
        #expect(QuantileSummary(values: []).shift(to: [1]) == nil)
        let shift = try #require(summary.shift(to: [1, 2, 3, 4, .nan]))
        #expect(shift.currentCount == 4 && shift.normalizedWasserstein == 0)
    }

    @Test func aStoredProfileIsCheckedBeforeUse() throws {
        let good = QuantileSummary(values: Self.normal(500, mean: 0, sd: 1, seed: 3))
        var unsorted = good
        unsorted.quantiles.swapAt(0, 10)
        var negativeSpread = good
        negativeSpread.standardDeviation = -1
        let profile = ReferenceProfile(
            source: "test", neighborhoods: ["mission": ["a": good, "b": unsorted, "c": negativeSpread]])
        let loaded = try ReferenceProfile.load(try profile.jsonBytes())
        #expect(loaded.neighborhoods["mission"]?.keys.sorted() == ["a"])
        #expect(loaded.neighborhoods["mission"]?["a"] == good)
        #expect(throws: DriftError.self) { try ReferenceProfile.load(Array("{\"v\": 99}".utf8)) }
        #expect(throws: DriftError.self) { try ReferenceProfile.load(Array("[1,2]".utf8)) }
        #expect(throws: DriftError.self) { try ReferenceProfile.load(Array(repeating: 32, count: ReferenceProfile.maximumBytes + 1)) }
    }

    @Test func aCityProfileStaysSmall() throws {
        let features = (0..<40).map { "feature_\($0)" }
        var neighborhoods: [String: [String: QuantileSummary]] = [:]
        for n in 0..<12 {
            var summaries: [String: QuantileSummary] = [:]
            for (i, name) in features.enumerated() {
                summaries[name] = QuantileSummary(values: Self.normal(20_000, mean: Double(i), sd: 3, seed: UInt64(n * 100 + i)))
            }
            neighborhoods["n\(n)"] = summaries
        }
        let bytes = try ReferenceProfile(source: "size", neighborhoods: neighborhoods).jsonBytes()
        #expect(bytes.count < 2 << 20, "\(bytes.count) bytes")
    }
}
