import CablecarDomain
import CablecarNumerics

/// A fitted candidate judged on its test period, as it would be served: scored against both
/// baselines and production, the neighborhoods where it loses to a baseline left to that
/// baseline (`PromotionGate.baselineRoutes`), scored again, then gated. The trainer's recipe and
/// the benchmarks that replay it.
///
/// The routes are chosen on the test period, the only period that can show a change the fitting
/// period never saw (a lane closure after the last fitting day). That choice is made between
/// fixed forecasters per neighborhood, and a routed cell then scores exactly what its baseline
/// scores: the report never credits the model with a baseline's win.
public struct CandidateJudgement: Sendable {
    /// The candidate as it would be served (with its routes).
    public var model: RidgeForecastModel
    /// Every model's errors on the test period, the candidate's with its routes.
    public var report: EvaluationReport
    public var verdict: GateVerdict
    public var routes: [BaselineRoute]
    /// The candidate's own errors in the routed cells, before routing (the evidence for each route).
    public var unroutedEvidence: [BaselineRoute: PromotionGate.NeighborhoodEvidence]

    public static func judge(
        _ fitted: FittedModels, production: (any ForecastModel)?, parameters: ModelParameters,
        configuration: GateConfiguration = GateConfiguration()
    ) -> CandidateJudgement {
        var models = fitted.roles
        if let production { models.append((.production, production)) }
        let report = ModelEvaluator.evaluate(
            data: fitted.data, period: fitted.split.test, models: models, targets: parameters.targets,
            horizons: parameters.horizons, mapeFloor: parameters.mapeFloor)
        let routes = PromotionGate.baselineRoutes(report, configuration: configuration)
        guard !routes.isEmpty else {
            return CandidateJudgement(
                model: fitted.ridge, report: report, verdict: PromotionGate.evaluate(report, configuration: configuration),
                routes: [], unroutedEvidence: [:])
        }
        var evidence: [BaselineRoute: PromotionGate.NeighborhoodEvidence] = [:]
        for route in routes {
            evidence[route] = PromotionGate.neighborhoodEvidence(
                report, target: route.target, horizon: route.horizon, configuration: configuration
            ).first { $0.neighborhood == route.neighborhood }
        }
        let routed = fitted.ridge.routingToBaselines(routes)
        // Production is scored again beside the routed candidate for the hourly paired comparisons.
        var rescoredModels: [(ModelRole, any ForecastModel)] = [(.candidate, routed)]
        if let production { rescoredModels.append((.production, production)) }
        let rescored = ModelEvaluator.evaluate(
            data: fitted.data, period: fitted.split.test, models: rescoredModels, targets: parameters.targets,
            horizons: parameters.horizons, mapeFloor: parameters.mapeFloor)
        let routedReport = EvaluationReport(
            testStart: report.testStart, testEnd: report.testEnd,
            cells: report.cells.filter { $0.model != .candidate } + rescored.cells.filter { $0.model == .candidate },
            pairedComparisons: rescored.pairedComparisons)
        var verdict = PromotionGate.evaluate(routedReport, configuration: configuration)
        verdict.checks.append(
            GateCheck(
                name: "baseline routes", passed: true,
                detail: "answered by a baseline where the candidate lost to it: "
                    + routes.map { route in
                        let ratio = evidence[route].map { " (candidate \(PromotionGate.percent($0.ratio - 1)) worse)" } ?? ""
                        return "\(route)\(ratio)"
                    }.joined(separator: ", ")))
        return CandidateJudgement(model: routed, report: routedReport, verdict: verdict, routes: routes, unroutedEvidence: evidence)
    }
}
