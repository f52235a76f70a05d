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
    /// Per target and horizon, at most this fraction of the gated neighborhoods may be answered
    /// by a baseline where the candidate loses to it (`BaselineRoute`); 0 refuses any such loss.
    public var maximumBaselineShare: Double
    /// Family-wise level of the equity gate against production: a neighborhood fails only when
    /// the candidate is worse beyond `neighborhoodMargin` and the hourly paired differences make
    /// that significant at this level, Bonferroni-corrected over every neighborhood, target and
    /// horizon compared. 1 judges on the margin alone.
    public var productionEquityAlpha: Double

    public init(
        targets: [ForecastTarget] = [], baselineImprovement: Double = 0, productionMargin: Double = 0.02,
        neighborhoodMargin: Double = 0.05, minimumNeighborhoodCount: Int = 50, maximumBaselineShare: Double = 0.25,
        productionEquityAlpha: Double = 0.05
    ) {
        self.targets = targets
        self.baselineImprovement = baselineImprovement
        self.productionMargin = productionMargin
        self.neighborhoodMargin = neighborhoodMargin
        self.minimumNeighborhoodCount = minimumNeighborhoodCount
        self.maximumBaselineShare = maximumBaselineShare
        self.productionEquityAlpha = productionEquityAlpha
    }

    enum CodingKeys: String, CodingKey {
        case targets
        case baselineImprovement = "baseline_improvement"
        case productionMargin = "production_margin"
        case neighborhoodMargin = "neighborhood_margin"
        case minimumNeighborhoodCount = "minimum_neighborhood_count"
        case maximumBaselineShare = "maximum_baseline_share"
        case productionEquityAlpha = "production_equity_alpha"
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
/// any neighborhood where the hourly paired differences show it (`productionEquityCheck`).
///
/// Where a candidate loses to the better baseline in a few neighborhoods, `baselineRoutes` names
/// those cells and `CandidateJudgement` has the candidate answer them with that baseline before
/// these gates run; a candidate that loses in more neighborhoods than
/// `GateConfiguration.maximumBaselineShare` allows is refused by the equity gate below.
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
                checks.append(
                    productionEquityCheck(
                        report, target: target, horizon: horizon, configuration: configuration,
                        criticalZ: PairedComparison.criticalZ(
                            alpha: configuration.productionEquityAlpha,
                            tests: targets.count * report.horizons.count * max(report.neighborhoods.count, 1))))
            }
        }
        if !hasProduction {
            checks.append(GateCheck(name: "vs production", passed: true, detail: "no production model yet"))
        }
        return GateVerdict(passed: !checks.isEmpty && checks.allSatisfy(\.passed), checks: checks)
    }

    /// Per neighborhood: the candidate against production on the same examples. A neighborhood
    /// fails when the candidate is worse beyond the margin and, where hourly paired differences
    /// exist, that difference is `criticalZ` standard errors or more (with α = 1 the margin alone
    /// decides). Two versions fitted on nearly the same days differ by more than 5 % in one
    /// neighborhood or another on a day's test data by chance; only evidence fails the gate.
    static func productionEquityCheck(
        _ report: EvaluationReport, target: ForecastTarget, horizon: Int, configuration: GateConfiguration, criticalZ: Double
    ) -> GateCheck {
        let scope = "\(target.rawValue) h\(horizon)"
        var worst: (String, Double, Double)?
        var failures: [String] = []
        var withinNoise: [String] = []
        for neighborhood in report.neighborhoods {
            guard let c = report.errors(.candidate, target, horizon, neighborhood: neighborhood),
                let p = report.errors(.production, target, horizon, neighborhood: neighborhood),
                let cm = c.mae, let pm = p.mae, c.count >= configuration.minimumNeighborhoodCount
            else { continue }
            let ratio = pm > 0 ? cm / pm - 1 : 0
            if worst.map({ ratio > $0.2 / $0.1 - 1 }) ?? true { worst = (neighborhood, pm, cm) }
            guard cm > pm * (1 + configuration.neighborhoodMargin) else { continue }
            let z = report.pairedComparison(target, horizon, neighborhood: neighborhood)?.zScore
            if configuration.productionEquityAlpha < 1, let z, z < criticalZ {
                withinNoise.append("\(neighborhood) \(fmt(cm)) vs \(fmt(pm)) (z \(fmt(z)))")
            } else {
                failures.append("\(neighborhood) \(fmt(cm)) vs \(fmt(pm))" + (z.map { " (z \(fmt($0)))" } ?? ""))
            }
        }
        var detail: String
        if !failures.isEmpty {
            detail = "worse than production beyond \(percent(configuration.neighborhoodMargin)) in " + failures.joined(separator: ", ")
        } else if let worst {
            detail = "worst neighborhood \(worst.0): \(fmt(worst.2)) vs production \(fmt(worst.1))"
        } else {
            detail = "no neighborhood with enough examples"
        }
        if !withinNoise.isEmpty {
            detail += "; beyond the margin but within noise (z below \(fmt(criticalZ))): " + withinNoise.joined(separator: ", ")
        }
        return GateCheck(name: "equity vs production \(scope)", passed: failures.isEmpty, detail: detail)
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

    /// The cells the candidate should leave to the better baseline: per target and horizon, the
    /// neighborhoods where it is worse than that baseline beyond the neighborhood margin, if they
    /// are at most `maximumBaselineShare` of the gated neighborhoods (none otherwise: a
    /// candidate losing that widely is refused, not patched). Sorted, so artifacts are reproducible.
    public static func baselineRoutes(_ report: EvaluationReport, configuration: GateConfiguration = GateConfiguration())
        -> [BaselineRoute]
    {
        var routes: [BaselineRoute] = []
        let targets = configuration.targets.isEmpty ? report.targets : configuration.targets
        for target in targets {
            for horizon in report.horizons {
                let evidence = neighborhoodEvidence(report, target: target, horizon: horizon, configuration: configuration)
                let losing = evidence.filter { $0.ratio > 1 + configuration.neighborhoodMargin }
                guard !losing.isEmpty, Double(losing.count) <= configuration.maximumBaselineShare * Double(evidence.count)
                else { continue }
                routes += losing.map {
                    BaselineRoute(target: target, horizon: horizon, neighborhood: $0.neighborhood, baseline: $0.baseline)
                }
            }
        }
        return routes.sorted {
            ($0.target.rawValue, $0.horizon, $0.neighborhood) < ($1.target.rawValue, $1.horizon, $1.neighborhood)
        }
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

    static func percent(_ fraction: Double) -> String {
        "\((fraction * 1000).rounded() / 10)%"
    }
}
