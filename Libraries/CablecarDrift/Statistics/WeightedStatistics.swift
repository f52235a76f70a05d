import Foundation

/// KS statistic, Wasserstein distance and bin shares between weighted samples, used when a
/// reference profile is a quantile sketch. For unit weights they equal the exact functions.
public enum WeightedStatistics {
    /// Walks the union of support points, calling `body(value, F_a(value), F_b(value), next)`.
    private static func walk(
        _ a: WeightedSample, _ b: WeightedSample,
        _ body: (Double, Double, Double, Double?) -> Void
    ) {
        let wa = a.totalWeight
        let wb = b.totalWeight
        var i = 0
        var j = 0
        let na = a.values.count
        let nb = b.values.count
        while i < na || j < nb {
            let v: Double
            if j >= nb || (i < na && a.values[i] <= b.values[j]) { v = a.values[i] } else { v = b.values[j] }
            while i < na && a.values[i] <= v { i += 1 }
            while j < nb && b.values[j] <= v { j += 1 }
            let fa = i == 0 ? 0 : a.cumulative[i - 1] / wa
            let fb = j == 0 ? 0 : b.cumulative[j - 1] / wb
            var next: Double?
            if i < na && j < nb {
                next = min(a.values[i], b.values[j])
            } else if i < na {
                next = a.values[i]
            } else if j < nb {
                next = b.values[j]
            }
            body(v, fa, fb, next)
        }
    }

    public static func ksStatistic(_ a: WeightedSample, _ b: WeightedSample) -> Double {
        var best = 0.0
        walk(a, b) { _, fa, fb, _ in best = max(best, abs(fa - fb)) }
        return best
    }

    public static func wasserstein(_ a: WeightedSample, _ b: WeightedSample) -> Double {
        var sum = 0.0
        walk(a, b) { v, fa, fb, next in
            if let next { sum += abs(fa - fb) * (next - v) }
        }
        return sum
    }

    /// Shares of weight per histogram bin, NumPy semantics ([e_i, e_{i+1}), last bin closed).
    public static func histogramShares(_ s: WeightedSample, edges: [Double]) -> [Double] {
        guard edges.count >= 2 else { return [] }
        var cumulative = edges.dropLast().map { s.weight(below: $0) }
        cumulative.append(s.weight(atMost: edges[edges.count - 1]))
        let total = s.totalWeight
        return (0..<(edges.count - 1)).map { (cumulative[$0 + 1] - cumulative[$0]) / total }
    }

    /// Shares per right-closed bin between cut points.
    public static func cutPointShares(_ s: WeightedSample, cutPoints: [Double]) -> [Double] {
        var shares: [Double] = []
        var previous = 0.0
        for c in cutPoints {
            let w = s.weight(atMost: c)
            shares.append((w - previous) / s.totalWeight)
            previous = w
        }
        shares.append((s.totalWeight - previous) / s.totalWeight)
        return shares
    }
}
