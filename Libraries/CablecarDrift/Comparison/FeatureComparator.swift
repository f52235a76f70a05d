import Foundation

/// Runs the chosen test on one feature of one group.
enum FeatureComparator {
    static func compare(
        spec: FeatureSpec, reference: FeatureProfile?, current: FeatureProfile?,
        configuration: DriftConfiguration
    ) -> FeatureResult {
        let kind = spec.kind
        var result = FeatureResult(
            feature: spec.name, kind: kind, test: spec.test ?? .ks, threshold: spec.threshold ?? (spec.test ?? .ks).defaultThreshold,
            status: .tested, statistic: nil, pValue: nil, score: nil, drifted: nil, method: nil,
            referenceCount: reference?.count ?? 0, currentCount: current?.count ?? 0,
            referenceMissing: reference?.missing ?? 0, currentMissing: current?.missing ?? 0,
            notes: [], chart: nil)
        guard let reference, let current, reference.count > 0, current.count > 0 else {
            result.status = .missingOnOneSide
            let side = (reference?.count ?? 0) == 0 ? "reference" : "current"
            result.notes.append("no values in the \(side) data for this group; nothing to compare")
            setTest(&result, spec.test ?? (kind == .numerical ? .ks : .chisquare), spec)
            return result
        }
        switch (reference, current) {
        case (.numerical(let r), .numerical(let c)):
            compareNumerical(&result, spec: spec, r, c, configuration)
        case (.categorical(let r), .categorical(let c)):
            compareCategorical(&result, spec: spec, r, c, configuration)
        default:
            result.status = .notApplicable
            result.notes.append("the feature is numerical on one side and categorical on the other")
        }
        if result.drifted == true { result.chart = chart(reference, current, bins: configuration.chartBins) }
        return result
    }

    private static func setTest(_ result: inout FeatureResult, _ test: StatTest, _ spec: FeatureSpec) {
        result.test = test
        result.threshold = spec.threshold ?? test.defaultThreshold
    }

    private static func tooFew(_ result: inout FeatureResult, _ minimum: Int) -> Bool {
        guard result.referenceCount < minimum || result.currentCount < minimum else { return false }
        result.status = .insufficientData
        result.notes.append(
            "too few values for a test: \(result.referenceCount) in the reference and \(result.currentCount) in the current data, at least \(minimum) needed on each side; no statistic reported"
        )
        return true
    }

    private static func finish(_ result: inout FeatureResult, statistic: Double, pValue: Double?) {
        result.statistic = statistic
        result.pValue = pValue
        let score = result.test.isPValueTest ? pValue : statistic
        guard let score, !score.isNaN else {
            result.status = .notApplicable
            result.score = nil
            result.pValue = nil
            result.notes.append("the test is undefined on this data; no value reported")
            return
        }
        result.score = score
        result.drifted = result.test.isDrift(score: score, threshold: result.threshold)
    }

    // MARK: Numerical

    private static func compareNumerical(
        _ result: inout FeatureResult, spec: FeatureSpec,
        _ r: NumericalProfile, _ c: NumericalProfile, _ configuration: DriftConfiguration
    ) {
        let combinedDistinct: Int
        if let a = r.smallDistinct, let b = c.smallDistinct {
            combinedDistinct = Set(a).union(b).count
        } else {
            combinedDistinct = NumericalProfile.distinctLimit + 1
        }
        let test = spec.test ?? DefaultTestRule.choose(kind: .numerical, referenceCount: r.count, combinedDistinct: combinedDistinct)
        setTest(&result, test, spec)
        if tooFew(&result, configuration.minimumRows) { return }
        if r.isConstant { result.notes.append("constant in the reference (every value is \(format(r.moments.minimum)))") }
        if c.isConstant { result.notes.append("constant in the current data (every value is \(format(c.moments.minimum)))") }
        let exact = r.sorted != nil && c.sorted != nil
        if !exact, let bound = r.sketch?.rankErrorBound {
            result.notes.append(
                "reference is a quantile sketch: ranks within ±\(Int(bound.rounded(.up))) of \(r.count), so values are approximate")
        }
        switch test {
        case .ks:
            if let rs = r.sorted, let cs = c.sorted {
                let ks = rs.withUnsafeBufferPointer { a in
                    cs.withUnsafeBufferPointer { b in KolmogorovSmirnovTest.test(sortedReference: a, sortedCurrent: b) }
                }
                result.method = ks.method.rawValue
                finish(&result, statistic: ks.statistic, pValue: ks.pValue)
            } else {
                let d = WeightedStatistics.ksStatistic(r.weightedSample(), c.weightedSample())
                let ks = KolmogorovSmirnovTest.pValue(statistic: d, referenceCount: r.count, currentCount: c.count)
                result.method = ks.method.rawValue
                finish(&result, statistic: d, pValue: ks.pValue)
            }
        case .wasserstein:
            let distance: Double
            if let rs = r.sorted, let cs = c.sorted {
                distance = rs.withUnsafeBufferPointer { a in
                    cs.withUnsafeBufferPointer { b in Wasserstein.distance(sortedReference: a, sortedCurrent: b) }
                }
            } else {
                distance = WeightedStatistics.wasserstein(r.weightedSample(), c.weightedSample())
            }
            finish(
                &result, statistic: Wasserstein.normalized(distance: distance, referenceStandardDeviation: r.moments.standardDeviation),
                pValue: nil)
        case .jensenshannon:
            let shares = evidentlyShares(r, c)
            finish(&result, statistic: Divergences.jensenShannon(shares.reference, shares.current), pValue: nil)
        case .psi:
            let shares = psiShares(r, c, configuration.psiBinning)
            finish(
                &result,
                statistic: Divergences.populationStability(
                    referenceShares: Divergences.fillEmptyBuckets(shares.reference),
                    currentShares: Divergences.fillEmptyBuckets(shares.current)), pValue: nil)
        case .chisquare, .z:
            let (keys, rc, cc) = valueCounts(r, c)
            categoricalTest(&result, keys: keys.map(format), rc, cc)
        }
    }

    private static func evidentlyShares(_ r: NumericalProfile, _ c: NumericalProfile) -> (reference: [Double], current: [Double]) {
        if let rs = r.sorted, let cs = c.sorted {
            let s = EvidentlyBinning.shares(sortedReference: rs, sortedCurrent: cs)
            return (s.reference, s.current)
        }
        let ws = r.weightedSample()
        let wc = c.weightedSample()
        if let distinct = r.smallDistinct, distinct.count <= EvidentlyBinning.distinctValueLimit {
            let keys = Array(Set(distinct).union(c.smallDistinct ?? [])).sorted()
            return (categoryShares(ws, keys), categoryShares(wc, keys))
        }
        let edges = Binning.sturgesEdges(
            minimum: min(r.moments.minimum, c.moments.minimum),
            maximum: max(r.moments.maximum, c.moments.maximum), count: r.count + c.count)
        return (WeightedStatistics.histogramShares(ws, edges: edges), WeightedStatistics.histogramShares(wc, edges: edges))
    }

    private static func categoryShares(_ s: WeightedSample, _ keys: [Double]) -> [Double] {
        keys.map { (s.weight(atMost: $0) - s.weight(below: $0)) / s.totalWeight }
    }

    private static func psiShares(_ r: NumericalProfile, _ c: NumericalProfile, _ binning: PSIBinning) -> (
        reference: [Double], current: [Double]
    ) {
        if let rs = r.sorted, let cs = c.sorted {
            return rs.withUnsafeBufferPointer { a in
                cs.withUnsafeBufferPointer { b in binning.shares(sortedReference: a, sortedCurrent: b) }
            }
        }
        switch binning {
        case .evidently:
            return evidentlyShares(r, c)
        case .referenceQuantiles(let bins):
            let ws = r.weightedSample()
            let wc = c.weightedSample()
            var cuts: [Double] = []
            for i in 1..<max(bins, 2) {
                let q = ws.quantile(Double(i) / Double(bins))
                if cuts.last != q { cuts.append(q) }
            }
            return (WeightedStatistics.cutPointShares(ws, cutPoints: cuts), WeightedStatistics.cutPointShares(wc, cutPoints: cuts))
        }
    }

    /// Counts per distinct value on both sides, for categorical tests on a numerical feature.
    private static func valueCounts(_ r: NumericalProfile, _ c: NumericalProfile) -> ([Double], [Int], [Int]) {
        if let rs = r.sorted, let cs = c.sorted {
            return rs.withUnsafeBufferPointer { a in
                cs.withUnsafeBufferPointer { b in
                    let keys = EvidentlyBinning.distinctUnion(a, b)
                    return (keys, EvidentlyBinning.valueCounts(a, keys: keys), EvidentlyBinning.valueCounts(b, keys: keys))
                }
            }
        }
        let ws = r.weightedSample()
        let wc = c.weightedSample()
        let keys = Array(Set(r.smallDistinct ?? []).union(c.smallDistinct ?? [])).sorted()
        let rc = categoryShares(ws, keys).map { Int(($0 * Double(r.count)).rounded()) }
        let cc = categoryShares(wc, keys).map { Int(($0 * Double(c.count)).rounded()) }
        return (keys, rc, cc)
    }

    // MARK: Categorical

    private static func compareCategorical(
        _ result: inout FeatureResult, spec: FeatureSpec,
        _ r: CategoricalProfile, _ c: CategoricalProfile, _ configuration: DriftConfiguration
    ) {
        let keys = Array(Set(r.counts.keys).union(c.counts.keys)).sorted()
        let test = spec.test ?? DefaultTestRule.choose(kind: .categorical, referenceCount: r.count, combinedDistinct: keys.count)
        setTest(&result, test, spec)
        if test == .ks || test == .wasserstein {
            result.status = .notApplicable
            result.notes.append("\(test.rawValue) needs numbers; choose chisquare, z, jensenshannon or psi for a categorical feature")
            return
        }
        if tooFew(&result, configuration.minimumRows) { return }
        let rc = keys.map { r.counts[$0] ?? 0 }
        let cc = keys.map { c.counts[$0] ?? 0 }
        if keys.count == 1 { result.notes.append("a single category on both sides (\(keys[0]))") }
        categoricalTest(&result, keys: keys, rc, cc)
    }

    /// chi-square, Z, JS or PSI on aligned counts.
    private static func categoricalTest(_ result: inout FeatureResult, keys: [String], _ rc: [Int], _ cc: [Int]) {
        let nr = rc.reduce(0, +)
        let nc = cc.reduce(0, +)
        let newKeys = zip(keys, rc).filter { $0.1 == 0 }.map(\.0)
        if !newKeys.isEmpty {
            result.notes.append(
                "categories absent from the reference: \(newKeys.prefix(5).joined(separator: ", "))\(newKeys.count > 5 ? ", …" : "")")
        }
        switch result.test {
        case .chisquare:
            guard keys.count >= 2 else {
                result.status = .notApplicable
                result.notes.append("chi-square needs at least two categories; no p-value reported")
                return
            }
            let chi = Divergences.categoricalChiSquare(referenceCounts: rc, currentCounts: cc)
            finish(&result, statistic: chi.statistic, pValue: chi.pValue)
        case .z:
            if keys.count == 1 {
                // Evidently: one identical value on both sides is no evidence of drift.
                finish(&result, statistic: 0, pValue: 1)
                return
            }
            let z = Divergences.twoProportionZ(referenceFirst: rc[0], referenceCount: nr, currentFirst: cc[0], currentCount: nc)
            finish(&result, statistic: z.statistic, pValue: z.pValue)
        case .jensenshannon:
            finish(
                &result, statistic: Divergences.jensenShannon(rc.map { Double($0) / Double(nr) }, cc.map { Double($0) / Double(nc) }),
                pValue: nil)
        case .psi:
            let rs = Divergences.fillEmptyBuckets(rc.map { Double($0) / Double(nr) })
            let cs = Divergences.fillEmptyBuckets(cc.map { Double($0) / Double(nc) })
            finish(&result, statistic: Divergences.populationStability(referenceShares: rs, currentShares: cs), pValue: nil)
        case .ks, .wasserstein:
            result.status = .notApplicable
        }
    }

    // MARK: Charts

    private static func chart(_ reference: FeatureProfile, _ current: FeatureProfile, bins: Int) -> DistributionChart? {
        switch (reference, current) {
        case (.numerical(let r), .numerical(let c)):
            let lo = min(r.moments.minimum, c.moments.minimum)
            let hi = max(r.moments.maximum, c.moments.maximum)
            let edges = Binning.linspace(lo == hi ? lo - 0.5 : lo, lo == hi ? hi + 0.5 : hi, count: max(bins, 1) + 1)
            return DistributionChart(
                labels: nil, edges: edges,
                reference: WeightedStatistics.histogramShares(r.weightedSample(), edges: edges),
                current: WeightedStatistics.histogramShares(c.weightedSample(), edges: edges))
        case (.categorical(let r), .categorical(let c)):
            let nr = Double(max(r.count, 1))
            let nc = Double(max(c.count, 1))
            let keys = Set(r.counts.keys).union(c.counts.keys)
                .sorted {
                    (r.counts[$0, default: 0] + c.counts[$0, default: 0], $1) > (r.counts[$1, default: 0] + c.counts[$1, default: 0], $0)
                }
                .prefix(12)
            return DistributionChart(
                labels: Array(keys), edges: nil,
                reference: keys.map { Double(r.counts[$0, default: 0]) / nr },
                current: keys.map { Double(c.counts[$0, default: 0]) / nc })
        default:
            return nil
        }
    }

    static func format(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }
}
