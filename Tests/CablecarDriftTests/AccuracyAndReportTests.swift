import Foundation
import Testing

@testable import CablecarDrift

@Suite("Accuracy metrics and report rendering")
struct AccuracyAndReportTests {
    @Test func metricsMaskMissingAndZeroActuals() throws {
        let metrics = AccuracyMetrics.perGroup(
            groups: ["a", "a", "a", "a", "b", "b"],
            actual: [10, 20, nil, 0, .nan, 5],
            predicted: [12, 16, 30, 1, 3, nil])
        let a = try #require(metrics["a"])
        #expect(a.count == 3)
        #expect(a.missingActuals == 1)
        #expect(a.zeroActuals == 1)
        #expect(abs((a.mae ?? 0) - (2 + 4 + 1) / 3.0) < 1e-12)
        #expect(abs((a.rmse ?? 0) - ((4 + 16 + 1) / 3.0).squareRoot()) < 1e-12)
        #expect(abs((a.mape ?? 0) - 100 * (0.2 + 0.2) / 2) < 1e-12)
        #expect(abs((a.bias ?? 0) - (2 - 4 + 1) / 3.0) < 1e-12)
        let b = try #require(metrics["b"])
        #expect(b.count == 0 && b.mae == nil && b.mape == nil && b.missingActuals == 1 && b.missingPredictions == 1)
    }

    @Test func mergingAccumulatorsEqualsOnePass() {
        var whole = AccuracyAccumulator()
        var left = AccuracyAccumulator()
        var right = AccuracyAccumulator()
        var rng = SplitMix64(seed: 3)
        for i in 0..<1000 {
            let actual = rng.uniform() < 0.1 ? nil : 50 + 10 * rng.normalish()
            let predicted = 50 + 10 * rng.normalish()
            whole.add(actual: actual, predicted: predicted)
            if i < 400 { left.add(actual: actual, predicted: predicted) } else { right.add(actual: actual, predicted: predicted) }
        }
        left.merge(right)
        #expect(left.metrics.count == whole.metrics.count)
        #expect(abs((left.metrics.rmse ?? 0) - (whole.metrics.rmse ?? 1)) < 1e-9)
    }

    func sampleReport() async -> DriftReport {
        var rng = SplitMix64(seed: 21)
        func group(_ shift: Double) -> [String: FeatureValues] {
            [
                "speed": .numerical((0..<600).map { _ in rng.normalish() + shift }),
                "mode": .categorical((0..<600).map { _ in rng.uniform() < 0.4 + shift / 4 ? "bus" : "<rail>" }),
            ]
        }
        let reference = DatasetProfile.build(groups: ["Mission": group(0), "SoMa": group(0), "Sunset": group(0)])
        let current = DatasetProfile.build(groups: ["Mission": group(0), "SoMa": group(1), "Bayview": group(0)])
        return await DriftComparison.compare(reference: reference, current: current, referenceName: "ref.csv", currentName: "cur.csv")
    }

    @Test func worstGroupsComeFirst() async {
        let report = await sampleReport()
        #expect(report.groups.map(\.group).first == "SoMa")
        #expect(report.groups.prefix(2).map(\.status) == [.compared, .compared])
        #expect(Set(report.groups.suffix(2).map(\.status)) == [.onlyInCurrent, .onlyInReference])
        #expect(report.driftedGroups == 1)
    }

    @Test func renderingsCarryTheResults() async throws {
        let report = await sampleReport()
        let table = try ReportFormat.table.render(report)
        #expect(table.contains("SoMa: DRIFTED"))
        #expect(table.contains("Bayview: only in the current data"))
        let json = try ReportFormat.json.render(report)
        let decoded = try JSONDecoder().decode(DriftReport.self, from: Data(json.utf8))
        #expect(decoded.groups.map(\.group) == report.groups.map(\.group))
        let html = try ReportFormat.html.render(report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("&lt;rail&gt;"), "labels must be escaped")
        for forbidden in ["<script", "src=", "href=\"http", "@import", "url("] {
            #expect(!html.contains(forbidden), "the page must be self-contained: found \(forbidden)")
        }
    }
}
