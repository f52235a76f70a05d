import CablecarDomain
import Testing

@testable import CablecarMonitor

@Suite struct AlertEngineTests {
    func run(_ windows: inout SyntheticWindows, hours: Range<Int>, engine: inout AlertEngine) -> [(hour: Int, alert: MonitorAlert)] {
        var result: [(Int, MonitorAlert)] = []
        for hour in hours {
            let rows = windows.rows(hour: hour)
            let window = AlertWindow.hour(starting: SyntheticWindows.start + Int64(hour) * 3_600_000)
            for alert in engine.evaluate(window, evidence: EvidenceBuilder.evidence(from: rows, rule: engine.rule)) {
                result.append((hour, alert))
            }
        }
        return result
    }

    @Test func cleanSeriesOfThreeDaysRaisesNoAlert() {
        var windows = SyntheticWindows()
        var engine = AlertEngine(rule: AlertRule())
        let alerts = run(&windows, hours: 0..<72, engine: &engine)
        #expect(alerts.isEmpty)
        // The rule did judge: every neighborhood has a track with good windows.
        #expect(engine.tracks.count == SyntheticWindows.neighborhoods.count * 2)
        // Autocorrelated noise makes a single hour look bad now and then; hysteresis absorbs it.
        #expect(engine.tracks.values.allSatisfy { $0.goodStreak + $0.badStreak > 0 && $0.open == nil })
    }

    @Test func degradedNeighborhoodOpensOneAlertThereWithinKWindowsAndRecoveryResolvesIt() throws {
        var windows = SyntheticWindows()
        windows.degraded = ["Gamma": 10..<30]
        let rule = AlertRule()
        var engine = AlertEngine(rule: rule)
        let alerts = run(&windows, hours: 0..<48, engine: &engine)
        #expect(alerts.count == 2)
        let opened = try #require(alerts.first)
        #expect(opened.alert.state == .open)
        #expect(opened.alert.neighborhood == "Gamma")
        #expect(opened.hour == 10 + rule.openAfter - 1)
        #expect(opened.alert.value >= opened.alert.threshold)
        #expect(opened.alert.metric.hasSuffix("mae_vs_baseline") || opened.alert.metric.hasSuffix("mae_vs_test"))
        let resolved = try #require(alerts.last)
        #expect(resolved.alert.state == .resolved)
        #expect(resolved.alert.alertID == opened.alert.alertID)
        #expect(resolved.hour == 30 + rule.resolveAfter - 1)
        #expect(alerts.allSatisfy { $0.alert.neighborhood == "Gamma" })
    }

    @Test func tooFewPairsNeitherOpenNorResolve() {
        var windows = SyntheticWindows()
        windows.degraded = ["Beta": 0..<10]
        windows.pairsPerHour = 10
        var engine = AlertEngine(rule: AlertRule())
        #expect(run(&windows, hours: 0..<10, engine: &engine).isEmpty)
        // Ten pairs per horizon is below the minimum: no accuracy track judged anything.
        #expect(!engine.tracks.keys.contains { $0.kind == .accuracy })
    }

    @Test func interruptedBadStreakDoesNotOpen() {
        var engine = AlertEngine(rule: AlertRule())
        func evidence(bad: Bool) -> [AlertEvidence] {
            [
                AlertEvidence(
                    kind: .accuracy, modelName: "traffic", modelVersion: 1, neighborhood: "Alpha", metric: "speed_kmh.h15.mae_vs_baseline",
                    effect: bad ? 2 : 0.8, threshold: 1.1, pValue: bad ? 1e-9 : 0.9, sampleSize: 60)
            ]
        }
        var alerts: [MonitorAlert] = []
        for (hour, bad) in [true, true, false, true, true, false, true, true].enumerated() {
            alerts += engine.evaluate(.hour(starting: SyntheticWindows.start + Int64(hour) * 3_600_000), evidence: evidence(bad: bad))
        }
        #expect(alerts.isEmpty)
        alerts += engine.evaluate(.hour(starting: SyntheticWindows.start + 8 * 3_600_000), evidence: evidence(bad: true))
        #expect(alerts.map(\.state) == [.open])
        // Significant but small: not bad. Large but not significant: not bad.
        var small = evidence(bad: true)
        small[0].effect = 1.05
        var noisy = evidence(bad: true)
        noisy[0].pValue = 0.2
        for (hour, window) in [small, noisy, small].enumerated() {
            alerts += engine.evaluate(.hour(starting: SyntheticWindows.start + Int64(9 + hour) * 3_600_000), evidence: window)
        }
        #expect(alerts.map(\.state) == [.open, .resolved])
    }

    @Test func replayingAWindowGivesTheSameAlertID() {
        let key = AlertEngine.TrackKey(modelName: "traffic", neighborhood: "Gamma", kind: .accuracy)
        let window = AlertWindow.hour(starting: SyntheticWindows.start)
        #expect(AlertEngine.alertID(key, window) == AlertEngine.alertID(key, window))
        #expect(
            AlertEngine.alertID(key, window) != AlertEngine.alertID(key, AlertWindow.hour(starting: SyntheticWindows.start + 3_600_000)))
        #expect(AlertEngine.alertID(key, window).count == 16)
    }

    @Test func holmRejectsOnlyWhatSurvivesTheStepDown() {
        #expect(HolmCorrection.rejected([0.001, 0.02, 0.04, 0.5], alpha: 0.05) == [true, false, false, false])
        #expect(HolmCorrection.rejected([0.01, 0.012, 0.013], alpha: 0.05) == [true, true, true])
        #expect(HolmCorrection.rejected([], alpha: 0.05) == [])
        #expect(HolmCorrection.rejected([.nan, 0.001], alpha: 0.05) == [false, true])
    }

    @Test func fallbackShareIsJudgedAsDataQuality() {
        let production = SyntheticWindows.metrics(
            hour: 0, neighborhood: "Mu", target: "speed_kmh", horizon: 15, model: Array(repeating: 1, count: 40),
            baseline: Array(repeating: 2, count: 40), testMAE: nil)
        var fallback = production
        fallback.role = "fallback"
        fallback.count = 60
        let evidence = EvidenceBuilder.evidence(from: [production, fallback], rule: AlertRule())
        let share = evidence.first { $0.metric == "fallback_share" }
        #expect(share?.kind == .quality)
        #expect(share?.effect == 0.6)
        #expect(share?.sampleSize == 100)
        #expect((share?.pValue ?? 1) < 0.001)
        let stale = evidence.first { $0.metric == "stale_share" }
        #expect(stale?.effect == 0)
        #expect(stale?.sampleSize == 40)
    }
}
