import Testing

@testable import CablecarNumerics

@Suite struct MetricsTests {
    @Test func missingActualsAreMaskedNotCountedAsZero() {
        let summary = MaskedMetrics.errors(predicted: [10, 20, 30, 40], actual: [12, nil, 27, nil])
        #expect(summary.count == 2)
        #expect(summary.mae == 2.5)  // (2 + 3) / 2
        #expect(abs((summary.rmse ?? 0) - ((4.0 + 9.0) / 2).squareRoot()) < 1e-12)
        let expectedMAPE = 100 * (2.0 / 12 + 3.0 / 27) / 2
        #expect(abs((summary.mape ?? 0) - expectedMAPE) < 1e-12)
    }

    @Test func mapeSkipsNearZeroActualsButMAEKeepsThem() {
        let summary = MaskedMetrics.errors(predicted: [5, 11], actual: [0.2, 10], mapeFloor: 1)
        #expect(summary.count == 2)
        #expect(abs((summary.mae ?? 0) - (4.8 + 1) / 2) < 1e-12)
        #expect(abs((summary.mape ?? 0) - 10) < 1e-12)  // only 1/10
    }

    @Test func nothingScoredGivesNoFigures() {
        let summary = MaskedMetrics.errors(predicted: [1, 2], actual: [nil, .nan])
        #expect(summary.count == 0)
        #expect(summary.mae == nil)
        #expect(summary.rmse == nil)
        #expect(summary.mape == nil)
    }

    @Test func mergingEqualsAccumulatingTogether() {
        var a = ErrorAccumulator()
        var b = ErrorAccumulator()
        var all = ErrorAccumulator()
        for i in 0..<10 {
            let predicted = Double(i) * 1.5
            let actual: Double? = i % 3 == 0 ? nil : Double(i)
            if i < 5 { a.add(predicted: predicted, actual: actual) } else { b.add(predicted: predicted, actual: actual) }
            all.add(predicted: predicted, actual: actual)
        }
        a.merge(b)
        #expect(a.summary == all.summary)
        #expect(a.masked == 4)
    }
}
