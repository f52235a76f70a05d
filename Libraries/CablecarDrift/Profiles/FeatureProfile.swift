import Foundation

/// Whether a feature is compared as numbers or as labels.
public enum FeatureKind: String, Sendable, Codable, Equatable {
    case numerical
    case categorical
}

/// What a numerical feature's distribution is remembered as.
public enum ProfileMode: Sendable, Equatable, Codable {
    /// All values, sorted: statistics equal scipy's exactly.
    case exact
    /// A `QuantileSketch` of the given capacity: bounded size, statistics within its rank error.
    case sketch(capacity: Int)
}

/// Everything the drift tests need to know about one numerical feature in one group.
public struct NumericalProfile: Sendable, Codable, Equatable {
    /// Non-missing values.
    public var count: Int
    /// Missing, blank, NaN or infinite values, which every test ignores (as Evidently does).
    public var missing: Int
    public var moments: Moments
    /// The sorted distinct values when there are at most `distinctLimit` of them, else nil. The
    /// default test rule and Evidently's binning both depend on small distinct counts.
    public var smallDistinct: [Double]?
    /// Sorted values (exact mode).
    public var sorted: [Double]?
    /// Quantile sketch (sketch mode).
    public var sketch: QuantileSketch?

    /// One more than Evidently's 20-distinct-values limit, so that "more than 20" is decidable.
    public static let distinctLimit = 21

    /// Builds a profile from values without missing entries. Sorts `values` in place.
    public init(values: inout [Double], missing: Int, mode: ProfileMode = .exact) {
        RadixSort.sort(&values)
        count = values.count
        self.missing = missing
        moments = values.withUnsafeBufferPointer { Moments.of($0) }
        smallDistinct = values.withUnsafeBufferPointer { buffer in
            EvidentlyBinning.distinctCount(buffer, limit: Self.distinctLimit + 1) <= Self.distinctLimit
                ? EvidentlyBinning.distinctUnion(buffer, UnsafeBufferPointer(start: nil, count: 0)) : nil
        }
        switch mode {
        case .exact:
            sorted = values
            sketch = nil
        case .sketch(let capacity):
            var s = QuantileSketch(capacity: capacity)
            values.withUnsafeBufferPointer { s.add(contentsOf: $0) }
            sketch = s
            sorted = nil
        }
    }

    /// Distinct values, when few; nil means "more than 21".
    public var isConstant: Bool { smallDistinct?.count == 1 }

    /// The sample as weighted points (unit weights when exact).
    public func weightedSample() -> WeightedSample {
        if let sorted { return WeightedSample(sortedUnitValues: sorted) }
        return sketch?.weightedSample() ?? WeightedSample(values: [], weights: [])
    }
}

/// Category counts of one categorical feature in one group.
public struct CategoricalProfile: Sendable, Codable, Equatable {
    public var counts: [String: Int]
    public var missing: Int

    public init(counts: [String: Int], missing: Int) {
        self.counts = counts.filter { $0.value > 0 }
        self.missing = missing
    }

    public var count: Int { counts.values.reduce(0, +) }
}

/// A feature's profile: numbers or labels.
public enum FeatureProfile: Sendable, Codable, Equatable {
    case numerical(NumericalProfile)
    case categorical(CategoricalProfile)

    public var kind: FeatureKind {
        switch self {
        case .numerical: return .numerical
        case .categorical: return .categorical
        }
    }

    /// Non-missing observations.
    public var count: Int {
        switch self {
        case .numerical(let p): return p.count
        case .categorical(let p): return p.count
        }
    }

    public var missing: Int {
        switch self {
        case .numerical(let p): return p.missing
        case .categorical(let p): return p.missing
        }
    }
}
