import CablecarDomain
import CablecarForecasting
import CablecarNumerics
import Foundation
import Testing

/// A neighborhood where the candidate loses to a baseline is answered by that baseline
/// (`CandidateJudgement`), as long as few neighborhoods need it; more are refused.
@Suite struct BaselineRouteTests {
    static let neighborhoods = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]
    /// The ridge alone: trees over the deviation from the recent level follow the drop at 15 and
    /// 30 minutes well enough that the candidate would no longer lose there, and routing is what
    /// these tests are about.
    static let parameters = ModelParameters(targets: [.speed], penaltyGrid: [0.1, 10, 1000], deviationTrees: 0)

    /// 14 days; the test period (the last two days) starts with a 12 km/h speed drop in `dropped`.
    static func fitted(dropped: Set<String>) throws -> FittedModels {
        let snapshot = SyntheticSnapshot.make(
            neighborhoods: neighborhoods, days: 14, drop: .init(neighborhoods: dropped, fromDay: 12, kmh: 12))
        let fitted = try FittedModels.fit(snapshot: snapshot, parameters: parameters)
        #expect(fitted.split.test.lowerBound == SyntheticSnapshot.monday + 12 * 86_400_000, "the drop starts the test period")
        return fitted
    }

    @Test func aNeighborhoodWhereTheCandidateLosesIsAnsweredByTheBetterBaseline() throws {
        let fitted = try Self.fitted(dropped: ["Gamma"])
        let judgement = CandidateJudgement.judge(fitted, production: nil, parameters: Self.parameters)
        print(EvaluationTable.render(judgement.report, verdict: judgement.verdict))

        #expect(Set(judgement.routes.map(\.neighborhood)) == ["Gamma"], "\(judgement.routes)")
        #expect(judgement.routes.map(\.horizon) == Self.parameters.horizons)
        #expect(judgement.routes.allSatisfy { $0.baseline == .persistence })
        #expect(judgement.verdict.passed, "\(judgement.verdict.summary)")
        for route in judgement.routes {
            let evidence = try #require(judgement.unroutedEvidence[route])
            #expect(evidence.ratio > 1.05, "the unrouted candidate lost in Gamma at h\(route.horizon)")
            let routed = try #require(judgement.report.errors(.candidate, .speed, route.horizon, neighborhood: "Gamma")?.mae)
            let persistence = try #require(judgement.report.errors(.persistence, .speed, route.horizon, neighborhood: "Gamma")?.mae)
            #expect(routed <= persistence * 1.05, "served as persistence: \(routed) vs \(persistence)")
            #expect(routed < evidence.candidate, "routing helped: \(routed) vs \(evidence.candidate)")
        }
        let unrouted = try #require(judgement.report.errors(.candidate, .speed, 15, neighborhood: "Alpha")?.mae)
        let ridgeAlone = ModelEvaluator.evaluate(
            data: fitted.data, period: fitted.split.test, models: [(.candidate, fitted.ridge)], targets: [.speed], horizons: [15])
        #expect(unrouted == ridgeAlone.errors(.candidate, .speed, 15, neighborhood: "Alpha")?.mae, "other neighborhoods unchanged")
        #expect(judgement.verdict.checks.contains { $0.name == "baseline routes" && $0.detail.contains("Gamma speed_kmh h15") })

        // The served artifact keeps its routes, and says which baseline answers.
        let loaded = try RidgeForecastModel.load(artifact: try judgement.model.artifact())
        #expect(loaded.baselineRoutes == judgement.routes)
        #expect(loaded.servedBaseline(neighborhood: "Gamma", target: .speed, horizonMinutes: 15) == .persistence)
        #expect(loaded.servedBaseline(neighborhood: "Alpha", target: .speed, horizonMinutes: 15) == nil)
        #expect(try loaded.artifact() == judgement.model.artifact(), "reproducible bytes")
    }

    @Test func aRoutedCellAnswersWithTheLastObservedValueOrTheAverage() throws {
        let fitted = try Self.fitted(dropped: [])
        let routed = fitted.ridge.routingToBaselines([
            BaselineRoute(target: .speed, horizon: 15, neighborhood: "Beta", baseline: .persistence),
            BaselineRoute(target: .speed, horizon: 30, neighborhood: "Beta", baseline: .historicalAverage),
        ])
        var input = ModelInput(
            segmentID: "seg-1-0", neighborhood: "Beta", issueTime: SyntheticSnapshot.monday + 86_400_000 * 3, features: [nil, nil, nil],
            lastSpeedKmh: 12.5, lastFlowVehiclesPerHour: 300)
        let average = try #require(fitted.ridge.historicalAverageTable(.speed))
        let segment = try #require(average.segments.firstIndex(of: "seg-1-0"))
        let targetTime30 = input.issueTime + 30 * 60_000
        #expect(routed.predict(input, target: .speed, horizonMinutes: 15) == 12.5)
        #expect(routed.predict(input, target: .speed, horizonMinutes: 30) == average.value(segment: segment, time: targetTime30))
        #expect(
            routed.predict(input, target: .speed, horizonMinutes: 60) == fitted.ridge.predict(input, target: .speed, horizonMinutes: 60))
        // The design row a benchmark reads is the one the regression answers from; a routed cell has none.
        #expect(routed.designRow(input, target: .speed, horizonMinutes: 15) == nil)
        let (row, base) = try #require(routed.designRow(input, target: .speed, horizonMinutes: 60))
        #expect(row.count == routed.designColumns.count)
        let key = RidgeForecastModel.key(.speed, 60, "Beta")
        let answers = [routed.solutions[key], routed.fallbackSolutions[key]].compactMap { $0.map { base + $0.predict(row) } }
        #expect(answers.contains(try #require(routed.predict(input, target: .speed, horizonMinutes: 60))))
        input.lastSpeedKmh = nil
        #expect(
            routed.predict(input, target: .speed, horizonMinutes: 15)
                == average.value(segment: segment, time: input.issueTime + 15 * 60_000), "no last value: the average")
        input.neighborhood = "Alpha"
        #expect(
            routed.predict(input, target: .speed, horizonMinutes: 15) == fitted.ridge.predict(input, target: .speed, horizonMinutes: 15))
    }

    @Test func aCandidateLosingInTooManyNeighborhoodsIsRefusedNotPatched() throws {
        let fitted = try Self.fitted(dropped: ["Alpha", "Gamma", "Epsilon"])
        let judgement = CandidateJudgement.judge(fitted, production: nil, parameters: Self.parameters)
        #expect(judgement.routes.isEmpty, "3 of 8 neighborhoods is above the 25 % allowed: \(judgement.routes)")
        #expect(!judgement.verdict.passed)
        #expect(
            judgement.verdict.checks.contains { !$0.passed && $0.name.hasPrefix("equity vs baselines") && $0.detail.contains("Epsilon") })

        let lenient = CandidateJudgement.judge(
            fitted, production: nil, parameters: Self.parameters, configuration: GateConfiguration(maximumBaselineShare: 0.5))
        #expect(Set(lenient.routes.map(\.neighborhood)) == ["Alpha", "Gamma", "Epsilon"])

        let strict = CandidateJudgement.judge(
            try Self.fitted(dropped: ["Gamma"]), production: nil, parameters: Self.parameters,
            configuration: GateConfiguration(maximumBaselineShare: 0))
        #expect(strict.routes.isEmpty && !strict.verdict.passed, "0 refuses any loss")
    }

    @Test func anArtifactWithARouteItCannotServeIsRefused() throws {
        let fitted = try Self.fitted(dropped: [])
        let bad = fitted.ridge.routingToBaselines([
            BaselineRoute(target: .speed, horizon: 45, neighborhood: "Beta", baseline: .persistence)
        ])
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: try bad.artifact()) }
        let production = fitted.ridge.routingToBaselines([
            BaselineRoute(target: .speed, horizon: 15, neighborhood: "Beta", baseline: .production)
        ])
        #expect(throws: ForecastingError.self) { try RidgeForecastModel.load(artifact: try production.artifact()) }
    }
}
