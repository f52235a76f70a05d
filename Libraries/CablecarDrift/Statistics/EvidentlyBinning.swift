import Foundation

/// The binning Evidently applies before PSI and Jensen–Shannon on a numerical feature
/// (`get_binned_data`): when the reference has more than 20 distinct values, Sturges bins over
/// both samples together; otherwise one bin per distinct value seen on either side.
public enum EvidentlyBinning {
    public struct Shares: Sendable, Equatable {
        /// Sturges edges, or nil when the bins are the distinct values.
        public var edges: [Double]?
        /// The distinct values used as bins when `edges` is nil.
        public var values: [Double]?
        public var reference: [Double]
        public var current: [Double]
    }

    /// Above this many distinct reference values, Evidently bins instead of counting values.
    public static let distinctValueLimit = 20

    public static func shares(sortedReference ref: [Double], sortedCurrent cur: [Double]) -> Shares {
        ref.withUnsafeBufferPointer { r in cur.withUnsafeBufferPointer { c in shares(sortedReference: r, sortedCurrent: c) } }
    }

    public static func shares(
        sortedReference ref: UnsafeBufferPointer<Double>,
        sortedCurrent cur: UnsafeBufferPointer<Double>
    ) -> Shares {
        let nRef = Double(ref.count)
        let nCur = Double(cur.count)
        if distinctCount(ref, limit: distinctValueLimit + 1) > distinctValueLimit {
            let lo = Swift.min(ref.first ?? .infinity, cur.first ?? .infinity)
            let hi = Swift.max(ref.last ?? -.infinity, cur.last ?? -.infinity)
            let edges = Binning.sturgesEdges(minimum: lo, maximum: hi, count: ref.count + cur.count)
            return Shares(
                edges: edges, values: nil,
                reference: Binning.histogramCounts(sorted: ref, edges: edges).map { Double($0) / nRef },
                current: Binning.histogramCounts(sorted: cur, edges: edges).map { Double($0) / nCur })
        }
        let keys = distinctUnion(ref, cur)
        return Shares(
            edges: nil, values: keys,
            reference: valueCounts(ref, keys: keys).map { Double($0) / nRef },
            current: valueCounts(cur, keys: keys).map { Double($0) / nCur })
    }

    /// Distinct values of a sorted buffer, counting no further than `limit`.
    public static func distinctCount(_ sorted: UnsafeBufferPointer<Double>, limit: Int) -> Int {
        guard var previous = sorted.first else { return 0 }
        var count = 1
        for v in sorted where v != previous {
            count += 1
            previous = v
            if count >= limit { return count }
        }
        return count
    }

    /// Sorted distinct values present in either sorted buffer.
    public static func distinctUnion(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> [Double] {
        var out: [Double] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            let v: Double
            if j >= b.count || (i < a.count && a[i] <= b[j]) { v = a[i] } else { v = b[j] }
            out.append(v)
            while i < a.count && a[i] == v { i += 1 }
            while j < b.count && b[j] == v { j += 1 }
        }
        return out
    }

    /// How many of the sorted values equal each of the sorted keys.
    public static func valueCounts(_ sorted: UnsafeBufferPointer<Double>, keys: [Double]) -> [Int] {
        keys.map { Binning.upperBound(sorted, $0) - Binning.lowerBound(sorted, $0) }
    }
}

/// How PSI bins a numerical feature.
public enum PSIBinning: Sendable, Equatable, Codable {
    /// Cut points at the reference's quantiles i/k (default k = 10), right-closed bins.
    case referenceQuantiles(Int)
    /// Evidently's `get_binned_data` (Sturges bins over both samples, or distinct values).
    case evidently

    public static let `default` = PSIBinning.referenceQuantiles(10)

    /// Shares per bin for both samples, before empty buckets are filled.
    public func shares(
        sortedReference ref: UnsafeBufferPointer<Double>,
        sortedCurrent cur: UnsafeBufferPointer<Double>
    ) -> (reference: [Double], current: [Double]) {
        switch self {
        case .evidently:
            let s = EvidentlyBinning.shares(sortedReference: ref, sortedCurrent: cur)
            return (s.reference, s.current)
        case .referenceQuantiles(let bins):
            let cuts = Binning.quantileCutPoints(sorted: ref, bins: bins)
            let nRef = Double(ref.count)
            let nCur = Double(cur.count)
            return (
                Binning.cutPointCounts(sorted: ref, cutPoints: cuts).map { Double($0) / nRef },
                Binning.cutPointCounts(sorted: cur, cutPoints: cuts).map { Double($0) / nCur }
            )
        }
    }

    /// PSI with Evidently's empty-bucket fill.
    public func psi(sortedReference ref: UnsafeBufferPointer<Double>, sortedCurrent cur: UnsafeBufferPointer<Double>) -> Double {
        let s = shares(sortedReference: ref, sortedCurrent: cur)
        return Divergences.populationStability(
            referenceShares: Divergences.fillEmptyBuckets(s.reference),
            currentShares: Divergences.fillEmptyBuckets(s.current))
    }

    public func psi(sortedReference ref: [Double], sortedCurrent cur: [Double]) -> Double {
        ref.withUnsafeBufferPointer { r in cur.withUnsafeBufferPointer { c in psi(sortedReference: r, sortedCurrent: c) } }
    }
}
