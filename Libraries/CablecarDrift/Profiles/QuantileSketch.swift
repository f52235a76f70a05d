import Foundation

/// A mergeable quantile sketch (a KLL-style hierarchy of compactors, each holding up to
/// `capacity` items, with deterministic alternating halving), for reference profiles that must
/// stay small however large the reference data is.
///
/// **Error bound.** Compacting a full buffer at level h sorts it and keeps every other item, each
/// survivor standing for 2^(h+1) inputs; the rank of any value then moves by at most 2^h. The
/// sketch adds up those worst cases as it goes, so `rankErrorBound` is a guaranteed (not
/// probabilistic) bound: for every x, |estimated rank(x) − true rank(x)| ≤ rankErrorBound. With
/// n inputs and capacity k it never exceeds n·(log2(n/k) + 1)/(k − 1) — about 0.5 % of n for the
/// default k = 2048 and n = 10⁶ — and is usually much smaller. A KS statistic against the sketch is
/// within rankErrorBound/n of the exact one. Merging two sketches adds their bounds plus the cost
/// of the extra compactions.
public struct QuantileSketch: Sendable, Codable, Equatable {
    public static let defaultCapacity = 2048

    public let capacity: Int
    /// levels[h] holds items of weight 2^h.
    public private(set) var levels: [[Double]]
    public private(set) var count: Int
    public private(set) var rankErrorBound: Double
    private var compactionParity: [Bool]

    public init(capacity: Int = QuantileSketch.defaultCapacity) {
        self.capacity = max(capacity, 8)
        levels = [[]]
        count = 0
        rankErrorBound = 0
        compactionParity = [false]
    }

    public mutating func add(_ x: Double) {
        levels[0].append(x)
        count += 1
        if levels[0].count >= capacity { compact(from: 0) }
    }

    public mutating func add(contentsOf values: UnsafeBufferPointer<Double>) {
        for v in values { add(v) }
    }

    /// Merges another sketch with the same capacity into this one.
    public mutating func merge(_ other: QuantileSketch) {
        while levels.count < other.levels.count {
            levels.append([])
            compactionParity.append(false)
        }
        for (h, items) in other.levels.enumerated() { levels[h].append(contentsOf: items) }
        count += other.count
        rankErrorBound += other.rankErrorBound
        for h in levels.indices where levels[h].count >= capacity { compact(from: h) }
    }

    private mutating func compact(from start: Int) {
        var h = start
        while h < levels.count && levels[h].count >= capacity {
            if h + 1 == levels.count {
                levels.append([])
                compactionParity.append(false)
            }
            levels[h].sort()
            // An odd leftover stays at this level so that total weight is conserved exactly.
            var leftover: Double?
            if levels[h].count % 2 == 1 { leftover = levels[h].removeLast() }
            let offset = compactionParity[h] ? 1 : 0
            compactionParity[h].toggle()
            var index = offset
            while index < levels[h].count {
                levels[h + 1].append(levels[h][index])
                index += 2
            }
            levels[h].removeAll(keepingCapacity: true)
            if let leftover { levels[h].append(leftover) }
            rankErrorBound += pow(2.0, Double(h))
            h += 1
        }
    }

    /// The sketch as sorted (value, weight) pairs: the weighted sample every statistic is computed
    /// from when a profile is sketched.
    public func weightedSample() -> WeightedSample {
        var pairs: [(Double, Double)] = []
        pairs.reserveCapacity(levels.reduce(0) { $0 + $1.count })
        for (h, items) in levels.enumerated() {
            let w = pow(2.0, Double(h))
            for v in items { pairs.append((v, w)) }
        }
        pairs.sort { $0.0 < $1.0 }
        return WeightedSample(values: pairs.map(\.0), weights: pairs.map(\.1))
    }
}

/// Sorted values with weights (all 1 for an exact sample).
public struct WeightedSample: Sendable, Equatable {
    public var values: [Double]
    /// cumulative[i] = total weight of values[0...i].
    public private(set) var cumulative: [Double]

    public init(values: [Double], weights: [Double]) {
        self.values = values
        var running = 0.0
        cumulative = weights.map {
            running += $0
            return running
        }
    }

    public init(sortedUnitValues values: [Double]) {
        self.values = values
        cumulative = (0..<values.count).map { Double($0 + 1) }
    }

    public var totalWeight: Double { cumulative.last ?? 0 }

    /// Total weight of values <= x.
    public func weight(atMost x: Double) -> Double {
        let i = values.withUnsafeBufferPointer { Binning.upperBound($0, x) }
        return i == 0 ? 0 : cumulative[i - 1]
    }

    /// Total weight of values < x.
    public func weight(below x: Double) -> Double {
        let i = values.withUnsafeBufferPointer { Binning.lowerBound($0, x) }
        return i == 0 ? 0 : cumulative[i - 1]
    }

    /// The smallest value whose cumulative share reaches q.
    public func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let target = q * totalWeight
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return values[lo]
    }
}
