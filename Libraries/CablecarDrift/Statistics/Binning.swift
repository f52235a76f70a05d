import Foundation

/// Bin edges and counts, reproducing NumPy where Evidently relies on it.
public enum Binning {
    /// `np.histogram_bin_edges(values, bins="sturges")` for data with the given minimum, maximum
    /// and size: ceil(range / (range / (log2(n) + 1))) equal-width bins spread by `np.linspace`.
    public static func sturgesEdges(minimum: Double, maximum: Double, count: Int) -> [Double] {
        var first = minimum
        var last = maximum
        let range = maximum - minimum
        if first == last {
            first -= 0.5
            last += 0.5
        }
        let width = range / (log2(Double(count)) + 1.0)
        let bins = width != 0 ? Int(ceil((last - first) / width)) : 1
        return linspace(first, last, count: bins + 1)
    }

    /// `np.linspace(start, stop, count)` with its exact arithmetic (i·step + start, last = stop).
    public static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 1 else { return [start] }
        let div = Double(count - 1)
        let delta = stop - start
        let step = delta / div
        var edges = [Double](repeating: 0, count: count)
        for i in 0..<count {
            edges[i] = step == 0 ? (Double(i) / div) * delta + start : Double(i) * step + start
        }
        edges[count - 1] = stop
        return edges
    }

    /// `np.histogram(values, bins=edges)` counts for **sorted** values: bins are half-open
    /// [e_i, e_{i+1}) except the last, which includes its right edge; values outside are dropped.
    public static func histogramCounts(sorted values: UnsafeBufferPointer<Double>, edges: [Double]) -> [Int] {
        guard edges.count >= 2 else { return [] }
        var cumulative = [Int](repeating: 0, count: edges.count)
        for k in 0..<(edges.count - 1) { cumulative[k] = lowerBound(values, edges[k]) }
        cumulative[edges.count - 1] = upperBound(values, edges[edges.count - 1])
        return (0..<(edges.count - 1)).map { cumulative[$0 + 1] - cumulative[$0] }
    }

    /// Interior cut points at the reference's i/bins quantiles (NumPy's default linear
    /// interpolation), with duplicates removed so that ties never produce empty zero-width bins.
    public static func quantileCutPoints(sorted values: UnsafeBufferPointer<Double>, bins: Int) -> [Double] {
        guard bins > 1, !values.isEmpty else { return [] }
        var cuts: [Double] = []
        for i in 1..<bins {
            let q = quantile(sorted: values, Double(i) / Double(bins))
            if cuts.last != q { cuts.append(q) }
        }
        return cuts
    }

    /// Counts per bin for cut points c_1 < ... < c_k: (-∞, c_1], (c_1, c_2], ..., (c_k, ∞).
    public static func cutPointCounts(sorted values: UnsafeBufferPointer<Double>, cutPoints: [Double]) -> [Int] {
        var counts: [Int] = []
        counts.reserveCapacity(cutPoints.count + 1)
        var previous = 0
        for c in cutPoints {
            let upTo = upperBound(values, c)
            counts.append(upTo - previous)
            previous = upTo
        }
        counts.append(values.count - previous)
        return counts
    }

    /// NumPy's default (`linear`) quantile of sorted data, using its two-sided lerp.
    public static func quantile(sorted values: UnsafeBufferPointer<Double>, _ q: Double) -> Double {
        let n = values.count
        guard n > 0 else { return .nan }
        let position = q * Double(n - 1)
        let lower = Int(floor(position))
        let t = position - Double(lower)
        let a = values[min(lower, n - 1)]
        let b = values[min(lower + 1, n - 1)]
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }

    /// Index of the first element >= x.
    public static func lowerBound(_ values: UnsafeBufferPointer<Double>, _ x: Double) -> Int {
        var lo = 0
        var hi = values.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if values[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Index of the first element > x.
    public static func upperBound(_ values: UnsafeBufferPointer<Double>, _ x: Double) -> Int {
        var lo = 0
        var hi = values.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if values[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
