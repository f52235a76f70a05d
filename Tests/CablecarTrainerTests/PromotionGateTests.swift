import CablecarForecasting
import CablecarNumerics
import Testing

@Suite struct PromotionGateTests {
    /// A report for one target and horizon: overall MAE per model, and per-neighborhood MAE for
    /// candidate and production.
    func report(
        candidate: Double, average: Double, persistence: Double, production: Double?,
        neighborhoods: [String: (candidate: Double, production: Double)] = [:],
        baselines: [String: (average: Double, persistence: Double)] = [:]
    ) -> EvaluationReport {
        func cell(_ model: ModelRole, _ mae: Double, _ neighborhood: String? = nil) -> EvaluationCell {
            EvaluationCell(
                model: model, target: .speed, horizon: 15, neighborhood: neighborhood,
                errors: ErrorSummary(count: 500, mae: mae, rmse: mae * 1.3, mape: mae * 2))
        }
        var cells = [cell(.candidate, candidate), cell(.historicalAverage, average), cell(.persistence, persistence)]
        if let production { cells.append(cell(.production, production)) }
        for (name, figures) in neighborhoods.sorted(by: { $0.key < $1.key }) {
            cells.append(cell(.candidate, figures.candidate, name))
            if production != nil { cells.append(cell(.production, figures.production, name)) }
            let baseline = baselines[name] ?? (average: average, persistence: persistence)
            cells.append(cell(.historicalAverage, baseline.average, name))
            cells.append(cell(.persistence, baseline.persistence, name))
        }
        return EvaluationReport(testStart: 0, testEnd: 1, cells: cells)
    }

    @Test func aCandidateBeatingEverythingPasses() {
        let verdict = PromotionGate.evaluate(
            report(
                candidate: 3.0, average: 4.0, persistence: 3.5, production: 3.2,
                neighborhoods: ["A": (2.9, 3.1), "B": (3.1, 3.3)]))
        #expect(verdict.passed, "\(verdict.summary)")
        #expect(verdict.checks.count == 5)
    }

    @Test func losingToABaselineFails() {
        let verdict = PromotionGate.evaluate(report(candidate: 3.6, average: 4.0, persistence: 3.5, production: nil))
        #expect(!verdict.passed)
        #expect(verdict.checks.contains { $0.name.contains("persistence") && !$0.passed })
        #expect(verdict.checks.contains { $0.name.contains("historical_average") && $0.passed })
        #expect(verdict.summary.contains("persistence"))
    }

    @Test func productionMarginIsRespected() {
        let within = PromotionGate.evaluate(report(candidate: 3.05, average: 4, persistence: 4, production: 3.0))
        #expect(within.passed, "1.7 % worse is inside the 2 % margin")
        let beyond = PromotionGate.evaluate(report(candidate: 3.1, average: 4, persistence: 4, production: 3.0))
        #expect(!beyond.passed)
        let strict = PromotionGate.evaluate(
            report(candidate: 3.05, average: 4, persistence: 4, production: 3.0),
            configuration: GateConfiguration(productionMargin: 0))
        #expect(!strict.passed)
    }

    @Test func theEquityGateBlocksACandidateBetterOverallButWorseInOneNeighborhood() {
        let verdict = PromotionGate.evaluate(
            report(
                candidate: 2.8, average: 4, persistence: 4, production: 3.0,
                neighborhoods: ["Mission": (2.5, 3.0), "SoMa": (2.6, 3.0), "Bayview": (3.6, 3.0)]))
        #expect(!verdict.passed)
        let equity = verdict.checks.first { $0.name.hasPrefix("equity vs production") }
        #expect(equity?.passed == false)
        #expect(equity?.detail.contains("Bayview") == true)
        #expect(verdict.checks.first { $0.name.hasPrefix("vs production") }?.passed == true)
    }

    @Test func smallNeighborhoodCellsAreNotGated() {
        let base = report(
            candidate: 2.8, average: 4, persistence: 4, production: 3.0, neighborhoods: ["Tiny": (9.0, 3.0)])
        let verdict = PromotionGate.evaluate(base, configuration: GateConfiguration(minimumNeighborhoodCount: 1000))
        #expect(verdict.passed)
    }

    @Test func withoutProductionOnlyBaselinesDecide() {
        let verdict = PromotionGate.evaluate(report(candidate: 3, average: 4, persistence: 3.5, production: nil))
        #expect(verdict.passed)
        #expect(verdict.checks.contains { $0.detail.contains("no production model") })
    }

    @Test func theFirstModelOfACityIsJudgedNeighborhoodByNeighborhoodAgainstTheBaselines() {
        // Better than both baselines overall, no production model, but far worse in Mission:
        // the case a one-day replay promoted before.
        let verdict = PromotionGate.evaluate(
            report(
                candidate: 3.0, average: 3.6, persistence: 3.5, production: nil,
                neighborhoods: ["Mission": (5.6, 0), "Haight": (2.0, 0)],
                baselines: ["Mission": (2.44, 2.37), "Haight": (2.04, 2.1)]))
        #expect(!verdict.passed)
        let equity = verdict.checks.first { $0.name.hasPrefix("equity vs baselines") }
        #expect(equity?.passed == false)
        #expect(equity?.detail.contains("Mission 5.6 vs persistence 2.37") == true, "\(equity?.detail ?? "")")
        #expect(equity?.detail.contains("Haight") == false, "Haight is within the 5 % margin of its better baseline")
    }

    @Test func neighborhoodEvidenceNamesTheBetterBaselineAndTheRatio() {
        let evidence = PromotionGate.neighborhoodEvidence(
            report(
                candidate: 3.0, average: 3.6, persistence: 3.5, production: nil, neighborhoods: ["Sunset": (2.0, 0)],
                baselines: ["Sunset": (2.5, 4.0)]), target: .speed, horizon: 15)
        #expect(evidence.count == 1)
        #expect(evidence.first?.baseline == .historicalAverage)
        #expect(evidence.first.map { abs($0.ratio - 0.8) < 1e-12 } == true)
    }

    @Test func aNeighborhoodLossWithinTheHourlyNoiseDoesNotFailTheEquityGate() {
        var base = report(
            candidate: 2.8, average: 4, persistence: 4, production: 3.0,
            neighborhoods: ["Mission": (2.5, 3.0), "SoMa": (2.6, 3.0), "Bayview": (3.3, 3.0)])
        func paired(_ z: Double) -> [PairedComparison] {
            [
                PairedComparison(
                    target: .speed, horizon: 15, neighborhood: "Bayview", blocks: 30, meanDifference: 0.3, standardError: 0.3 / z)
            ]
        }
        base.pairedComparisons = paired(1.5)
        let noisy = PromotionGate.evaluate(base)
        let equity = noisy.checks.first { $0.name.hasPrefix("equity vs production") }
        #expect(noisy.passed, "\(noisy.summary)")
        #expect(equity?.detail.contains("within noise") == true && equity?.detail.contains("Bayview 3.3 vs 3.0 (z 1.5)") == true)

        base.pairedComparisons = paired(6)
        let significant = PromotionGate.evaluate(base)
        #expect(!significant.passed)
        #expect(significant.summary.contains("Bayview 3.3 vs 3.0 (z 6.0)"), "\(significant.summary)")

        base.pairedComparisons = paired(1.5)
        let marginOnly = PromotionGate.evaluate(base, configuration: GateConfiguration(productionEquityAlpha: 1))
        #expect(!marginOnly.passed, "alpha 1 judges on the margin alone")
    }

    @Test func theCriticalZIsBonferroniCorrected() {
        #expect(abs(PairedComparison.criticalZ(alpha: 0.05, tests: 1) - 1.6449) < 1e-3)
        #expect(abs(PairedComparison.criticalZ(alpha: 0.05, tests: 72) - 3.1970) < 1e-3)
        #expect(PairedComparison.criticalZ(alpha: 1, tests: 1) < 1e-9)
    }
}
