import CablecarForecasting

extension TrainingJob {
    /// The baseline equity gate's evidence as run metrics, so the registry shows per neighborhood
    /// why a candidate passed or failed: `gate.<target>.h<horizon>.<neighborhood>.mae`,
    /// `.best_baseline_mae` and `.ratio_to_best_baseline` (above 1 + the neighborhood margin fails).
    func gateEvidenceMetrics(_ report: EvaluationReport) -> [(String, Double)] {
        var metrics: [(String, Double)] = []
        for target in report.targets {
            for horizon in report.horizons {
                for evidence in PromotionGate.neighborhoodEvidence(
                    report, target: target, horizon: horizon, configuration: configuration.gates)
                where evidence.ratio.isFinite {
                    let prefix = "gate.\(target.rawValue).h\(horizon).\(evidence.neighborhood)"
                    metrics.append(("\(prefix).mae", evidence.candidate))
                    metrics.append(("\(prefix).best_baseline_mae", evidence.best))
                    metrics.append(("\(prefix).ratio_to_best_baseline", evidence.ratio))
                }
            }
        }
        return metrics
    }

    /// The routes a candidate was given (`CandidateJudgement`): `gate.baseline_routes` (how many),
    /// and per routed cell `gate.<target>.h<horizon>.<neighborhood>.routed_to_<baseline>` with the
    /// candidate's own ratio to that baseline before routing.
    func routeMetrics(_ judgement: CandidateJudgement) -> [(String, Double)] {
        var metrics: [(String, Double)] = [("gate.baseline_routes", Double(judgement.routes.count))]
        for route in judgement.routes {
            let ratio = judgement.unroutedEvidence[route]?.ratio ?? .nan
            metrics.append(
                (
                    "gate.\(route.target.rawValue).h\(route.horizon).\(route.neighborhood).routed_to_\(route.baseline.rawValue)",
                    ratio.isFinite ? ratio : 0
                ))
        }
        return metrics
    }
}
