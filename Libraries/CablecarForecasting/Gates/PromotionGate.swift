/// Thresholds of the promotion gates. Margins are relative (0.02 = 2 % of the reference MAE).
public struct GateConfiguration: Codable, Sendable, Equatable {
    /// Targets the gates look at; empty = every target in the report.
    public var targets: [ForecastTarget]
    /// The candidate's overall MAE must be below each baseline's by at least this fraction.
    public var baselineImprovement: Double
    /// The candidate's overall MAE may exceed production's by at most this fraction.
    public var productionMargin: Double
    /// In every neighborhood, the candidate's MAE may exceed production's by at most this fraction
    /// (the equity gate: an overall gain must not be bought with one neighborhood's loss).
    public var neighborhoodMargin: Double
    /// Neighborhood cells with fewer scored examples are not gated (too noisy to judge).
    public var minimumNeighborhoodCount: Int

    public init(
        targets: [ForecastTarget] = [], baselineImprovement: Double = 0, productionMargin: Double = 0.02,
        neighborhoodMargin: Double = 0.05, minimumNeighborhoodCount: Int = 50
    ) {
        self.targets = targets
        self.baselineImprovement = baselineImprovement
        self.productionMargin = productionMargin
        self.neighborhoodMargin = neighborhoodMargin
        self.minimumNeighborhoodCount = minimumNeighborhoodCount
    }

    enum CodingKeys: String, CodingKey {
        case targets
        case baselineImprovement = "baseline_improvement"
        case productionMargin = "production_margin"
        case neighborhoodMargin = "neighborhood_margin"
        case minimumNeighborhoodCount = "minimum_neighborhood_count"
    }
}

/// One gate's outcome.
public struct GateCheck: Codable, Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var detail: String
}

/// All gates' outcomes; `passed` only when every check passed.
public struct GateVerdict: Codable, Sendable, Equatable {
    public var passed: Bool
    public var checks: [GateCheck]

    /// One line for a stage transition's reason.
    public var summary: String {
        let failed = checks.filter { !$0.passed }
        if failed.isEmpty { return "gates passed (\(checks.count) checks)" }
        return "gates failed: " + failed.map { "\($0.name): \($0.detail)" }.joined(separator: "; ")
    }
}

/// The promotion gates, pure: the same report and configuration always give the same verdict.
/// Checked per target and horizon on MAE: the candidate beats both baselines overall; in every
/// neighborhood it is not worse than the better of the two baselines by more than
/// `neighborhoodMargin` (whether or not a production model exists, so a city's first model is
/// judged neighborhood by neighborhood too); it is not worse than production by more than
/// `productionMargin` overall, and not worse than production by more than `neighborhoodMargin` in
/// any neighborhood.
///
/// A candidate that loses to the baselines somewhere is refused rather than served with a
/// per-neighborhood fallback: the serving side then never has to know which neighborhoods a
/// version is trusted in, and the evidence says which neighborhood needs more data or features.
public enum PromotionGate {
    public static func evaluate(_ report: EvaluationReport, configuration: GateConfiguration = GateConfiguration())
        -> GateVerdict
    {
        var checks: [GateCheck] = []
        let targets = configuration.targets.isEmpty ? report.targets : configuration.targets
        let hasProduction = report.models.contains(.production)
        for target in targets {
            for horizon in report.horizons {
                let scope = "\(target.rawValue) h\(horizon)"
                guard let candidate = report.errors(.candidate, target, horizon)?.mae else {
                    checks.append(GateCheck(name: "candidate \(scope)", passed: false, detail: "the candidate was not scored"))
                    continue
                }
                for baseline in [ModelRole.historicalAverage, .persistence] {
                    guard let reference = report.errors(baseline, target, horizon)?.mae else {
                        checks.append(
                            GateCheck(name: "beats \(baseline.rawValue) \(scope)", passed: false, detail: "baseline not scored"))
                        continue
                    }
                    let limit = reference * (1 - configuration.baselineImprovement)
                    checks.append(
                        GateCheck(
                            name: "beats \(baseline.rawValue) \(scope)", passed: candidate < limit,
                            detail: describe(candidate, reference, baseline)))
                }
                checks.append(baselineEquityCheck(report, target: target, horizon: horizon, configuration: configuration))
                guard hasProduction else { continue }
                guard let production = report.errors(.production, target, horizon)?.mae else {
                    checks.append(
                        GateCheck(
                            name: "vs production \(scope)", passed: true,
                            detail: "production does not forecast this target and horizon"))
                    continue
                }
                checks.append(
                    GateCheck(
                        name: "vs production \(scope)", passed: candidate <= production * (1 + configuration.productionMargin),
                        detail: describe(candidate, production, .production)
                            + ", margin \(percent(configuration.productionMargin))"))
                var worst: (String, Double, Double)?
                var failures: [String] = []
                for neighborhood in report.neighborhoods {
                    guard let c = report.errors(.candidate, target, horizon, neighborhood: neighborhood),
                        let p = report.errors(.production, target, horizon, neighborhood: neighborhood),
                        let cm = c.mae, let pm = p.mae, c.count >= configuration.minimumNeighborhoodCount
                    else { continue }
                    let ratio = pm > 0 ? cm / pm - 1 : 0
                    if worst.map({ ratio > $0.2 / $0.1 - 1 }) ?? true { worst = (neighborhood, pm, cm) }
                    if cm > pm * (1 + configuration.neighborhoodMargin) {
                        failures.append("\(neighborhood) \(fmt(cm)) vs \(fmt(pm))")
                    }
                }
                let detail: String
                if !failures.isEmpty {
                    detail =
                        "worse than production beyond \(percent(configuration.neighborhoodMargin)) in "
                        + failures.joined(separator: ", ")
                } else if let worst {
                    detail = "worst neighborhood \(worst.0): \(fmt(worst.2)) vs production \(fmt(worst.1))"
                } else {
                    detail = "no neighborhood with enough examples"
                }
                checks.append(GateCheck(name: "equity vs production \(scope)", passed: failures.isEmpty, detail: detail))
            }
        }
        if !hasProduction {
            checks.append(GateCheck(name: "vs production", passed: true, detail: "no production model yet"))
        }
        return GateVerdict(passed: !checks.isEmpty && checks.allSatisfy(\.passed), checks: checks)
    }

    /// Per neighborhood: the candidate against the better of the two baselines on the same examples.
    static func baselineEquityCheck(
        _ report: EvaluationReport, target: ForecastTarget, horizon: Int, configuration: GateConfiguration
    ) -> GateCheck {
        let scope = "\(target.rawValue) h\(horizon)"
        var failures: [String] = []
        var worst: NeighborhoodEvidence?
        for evidence in neighborhoodEvidence(report, target: target, horizon: horizon, configuration: configuration) {
            if worst.map({ evidence.ratio > $0.ratio }) ?? true { worst = evidence }
            if evidence.ratio > 1 + configuration.neighborhoodMargin {
                failures.append(
                    "\(evidence.neighborhood) \(fmt(evidence.candidate)) vs \(evidence.baseline.rawValue) \(fmt(evidence.best))")
            }
        }
        let detail: String
        if !failures.isEmpty {
            detail =
                "worse than the better baseline beyond \(percent(configuration.neighborhoodMargin)) in " + failures.joined(separator: ", ")
        } else if let worst {
            detail = "worst neighborhood \(worst.neighborhood): \(fmt(worst.candidate)) vs \(worst.baseline.rawValue) \(fmt(worst.best))"
        } else {
            detail = "no neighborhood with enough examples"
        }
        return GateCheck(name: "equity vs baselines \(scope)", passed: failures.isEmpty, detail: detail)
    }

    /// One neighborhood's gate evidence: the candidate's MAE and the better baseline's.
    public struct NeighborhoodEvidence: Sendable, Equatable {
        public var neighborhood: String
        public var candidate: Double
        public var best: Double
        public var baseline: ModelRole
        /// candidate / best baseline (1 when the baseline is perfect and so is the candidate).
        public var ratio: Double
    }

    /// The evidence behind the baseline equity gate, per neighborhood with enough scored examples,
    /// for the run's metrics and the closing report.
    public static func neighborhoodEvidence(
        _ report: EvaluationReport, target: ForecastTarget, horizon: Int, configuration: GateConfiguration = GateConfiguration()
    ) -> [NeighborhoodEvidence] {
        report.neighborhoods.compactMap { neighborhood in
            guard let cell = report.errors(.candidate, target, horizon, neighborhood: neighborhood), let candidate = cell.mae,
                cell.count >= configuration.minimumNeighborhoodCount
            else { return nil }
            let baselines = [ModelRole.historicalAverage, .persistence].compactMap { role -> (ModelRole, Double)? in
                report.errors(role, target, horizon, neighborhood: neighborhood)?.mae.map { (role, $0) }
            }
            guard let best = baselines.min(by: { $0.1 < $1.1 }) else { return nil }
            let ratio = best.1 > 0 ? candidate / best.1 : (candidate > 0 ? .infinity : 1)
            return NeighborhoodEvidence(neighborhood: neighborhood, candidate: candidate, best: best.1, baseline: best.0, ratio: ratio)
        }
    }

    private static func describe(_ candidate: Double, _ reference: Double, _ role: ModelRole) -> String {
        let change = reference > 0 ? (candidate / reference - 1) : 0
        return "MAE \(fmt(candidate)) vs \(role.rawValue) \(fmt(reference)) (\(change <= 0 ? "" : "+")\(percent(change)))"
    }

    private static func fmt(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }

    private static func percent(_ fraction: Double) -> String {
        "\((fraction * 1000).rounded() / 10)%"
    }
}
