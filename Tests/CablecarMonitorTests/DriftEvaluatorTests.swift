import CablecarDomain
import CablecarDrift
import Foundation
import Testing

@testable import CablecarMonitor

/// Served samples against a reference: findings only for windows that cover their hours, and
/// the alert rule opens a drift alert only where a feature moved by more than the threshold.
@Suite struct DriftEvaluatorTests {
    static let model = ModelKey(name: "traffic", version: 3)

    static func values(_ count: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in mean + sd * random.normalish() }
    }

    static func reference() -> ReferenceProfile {
        var neighborhoods: [String: [String: QuantileSummary]] = [:]
        for (index, name) in ["mission", "sunset", "bayview"].enumerated() {
            neighborhoods[name] = [
                "speed_lag_1": QuantileSummary(values: values(10_000, mean: 40, sd: 8, seed: UInt64(index))),
                "flow_lag_1": QuantileSummary(values: values(10_000, mean: 900, sd: 150, seed: UInt64(10 + index))),
                "prediction.speed_kmh.h15": QuantileSummary(values: values(10_000, mean: 40, sd: 7, seed: UInt64(20 + index))),
            ]
        }
        return ReferenceProfile(source: "test", neighborhoods: neighborhoods)
    }

    /// Mission's speeds fall by `missionDrop` km/h (a lane closure); its predictions follow.
    static func served(missionDrop: Double, hours: Int, seed: UInt64) -> [String: ServedSample] {
        var result: [String: ServedSample] = [:]
        for (index, name) in ["mission", "sunset", "bayview"].enumerated() {
            let drop = name == "mission" ? missionDrop : 0
            let s = seed &* 31 &+ UInt64(index)
            result[name] = ServedSample(
                features: [
                    "speed_lag_1": values(2_000, mean: 40 - drop, sd: 8, seed: s),
                    "flow_lag_1": values(2_000, mean: 900, sd: 150, seed: s + 100),
                ],
                predictions: ["prediction.speed_kmh.h15": values(2_000, mean: 40 - drop, sd: 7, seed: s + 200)],
                hoursCovered: Set((0..<hours).map { EpochMillis($0) * 3_600_000 }))
        }
        return result
    }

    @Test func findingsCoverEveryNeighborhoodAndColumnOfAFullWindow() {
        let findings = DriftEvaluator.findings(
            reference: Self.reference(), served: Self.served(missionDrop: 12, hours: 24, seed: 1), model: Self.model, windowEnd: 86_400_000,
            windowHours: 24)
        #expect(findings.count == 9)
        let mission = findings.filter { $0.neighborhood == "mission" && $0.name == "speed_lag_1" }.first
        #expect((mission?.shift.normalizedWasserstein ?? 0) > 1.2)
        #expect(mission?.kind == .feature)
        #expect(findings.first { $0.name == "prediction.speed_kmh.h15" }?.kind == .prediction)
        for finding in findings where finding.neighborhood != "mission" {
            #expect(finding.shift.normalizedWasserstein < 0.1, "\(finding.neighborhood) \(finding.name)")
        }
    }

    @Test func aWindowMissingMoreThanAQuarterOfItsHoursIsNotJudged() {
        let findings = DriftEvaluator.findings(
            reference: Self.reference(), served: Self.served(missionDrop: 12, hours: 17, seed: 1), model: Self.model, windowEnd: 86_400_000,
            windowHours: 24)
        #expect(findings.isEmpty)
        let enough = DriftEvaluator.findings(
            reference: Self.reference(), served: Self.served(missionDrop: 12, hours: 18, seed: 1), model: Self.model, windowEnd: 86_400_000,
            windowHours: 24)
        #expect(enough.count == 9)
    }

    @Test func reportOnlyColumnsAreReportedButNeverAlertedOn() {
        var reference = Self.reference()
        reference.reportOnly = ["speed_lag_1"]
        let findings = DriftEvaluator.findings(
            reference: reference, served: Self.served(missionDrop: 30, hours: 24, seed: 4), model: Self.model, windowEnd: 86_400_000,
            windowHours: 24)
        let speed = findings.first { $0.neighborhood == "mission" && $0.name == "speed_lag_1" }
        #expect((speed?.shift.normalizedWasserstein ?? 0) > 3)
        #expect(speed?.alerting == false)
        let evidence = DriftEvaluator.evidence(findings, rule: AlertRule())
        #expect(evidence.count == findings.count - 3)
        #expect(!evidence.contains { $0.metric.contains("speed_lag_1") })
        #expect(evidence.contains { $0.metric == "prediction.speed_kmh.h15.wasserstein" && $0.neighborhood == "mission" })
    }

    @Test func theAlertRuleOpensADriftAlertOnlyWhereTheDistributionMoved() {
        var engine = AlertEngine(rule: AlertRule())
        var opened: [MonitorAlert] = []
        for hour in 0..<6 {
            let end = EpochMillis(24 + hour) * 3_600_000
            // A small shift (a tenth of a standard deviation) everywhere: significant on this
            // many rows, but not large enough to matter.
            var served = Self.served(missionDrop: hour >= 2 ? 12 : 0.8, hours: 24, seed: UInt64(hour))
            served["sunset"]?.features["speed_lag_1"] = Self.values(2_000, mean: 39.2, sd: 8, seed: 99)
            let findings = DriftEvaluator.findings(
                reference: Self.reference(), served: served, model: Self.model, windowEnd: end, windowHours: 24)
            opened += engine.evaluate(
                AlertWindow.hour(starting: end - 3_600_000), evidence: DriftEvaluator.evidence(findings, rule: engine.rule))
        }
        #expect(opened.count == 1)
        let alert = opened.first
        #expect(alert?.neighborhood == "mission")
        #expect(alert?.state == .open)
        #expect(alert?.windowEnd == EpochMillis(24 + 4) * 3_600_000 + 0)
        #expect(alert?.metric.hasSuffix(".wasserstein") == true)
        #expect((alert?.value ?? 0) >= AlertRule().driftThreshold)
    }
}
