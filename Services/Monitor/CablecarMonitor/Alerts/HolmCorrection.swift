/// Holm's step-down correction: which of `pValues` are rejected at family-wise level `alpha`.
/// Uniformly more powerful than Bonferroni and valid under any dependence between the tests,
/// which matters because neighborhoods and horizons are correlated.
enum HolmCorrection {
    static func rejected(_ pValues: [Double], alpha: Double) -> [Bool] {
        let m = pValues.count
        var result = [Bool](repeating: false, count: m)
        // NaN (no test possible) sorts last and is never rejected.
        let order = pValues.indices.sorted { (pValues[$0].isNaN ? .infinity : pValues[$0]) < (pValues[$1].isNaN ? .infinity : pValues[$1]) }
        for (rank, index) in order.enumerated() {
            let p = pValues[index]
            guard p.isFinite, p <= alpha / Double(m - rank) else { break }
            result[index] = true
        }
        return result
    }
}
