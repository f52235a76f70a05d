/// Gradient-boosted regression trees on squared or absolute error, histogram-based: every feature is cut into
/// at most 255 quantile bins once, and each split is found from per-bin sums, so a level of a tree
/// costs one pass over its rows per feature. Missing values (nil or not finite) get a bin of their
/// own (0), so a tree can send them either way. Deterministic: no sampling, ties broken by feature
/// then bin order.
public struct BoostedTrees: Sendable, Codable, Equatable {
    /// What the trees minimise. Absolute error grows each tree on the residuals' signs and sets
    /// its leaves to the median residual of their rows (times the learning rate): a jam's large
    /// misses then move a leaf no more than any other row's.
    public enum Loss: String, Sendable, Equatable {
        case squared, absolute
    }

    public struct Parameters: Sendable, Equatable {
        public var trees: Int
        public var depth: Int
        public var learningRate: Double
        /// Rows a leaf must hold at least.
        public var minimumLeafRows: Int
        /// L2 penalty on leaf values (in rows' worth of gradient).
        public var leafPenalty: Double
        public var bins: Int
        public var loss: Loss

        public init(
            trees: Int = 100, depth: Int = 5, learningRate: Double = 0.1, minimumLeafRows: Int = 50, leafPenalty: Double = 1,
            bins: Int = 63, loss: Loss = .squared
        ) {
            self.trees = trees
            self.depth = depth
            self.learningRate = learningRate
            self.minimumLeafRows = minimumLeafRows
            self.leafPenalty = leafPenalty
            self.bins = bins
            self.loss = loss
        }

        func validate() throws {
            guard (1...10_000).contains(trees), (1...12).contains(depth), learningRate > 0, learningRate <= 1,
                minimumLeafRows >= 1, leafPenalty >= 0, (2...255).contains(bins)
            else {
                throw NumericsError.invalidInput(
                    "boosted trees need 1 to 10,000 trees of depth 1 to 12, a learning rate in (0, 1], leaves of at least one row, "
                        + "a non-negative leaf penalty and 2 to 255 bins")
            }
        }
    }

    /// One tree as flat arrays: node i splits on `feature[i]` at `threshold[i]` (values at or
    /// below go left, missing values go `missingLeft[i]`), or is a leaf when `feature[i]` < 0.
    public struct Tree: Sendable, Codable, Equatable {
        var feature: [Int] = []
        var threshold: [Double] = []
        var missingLeft: [Bool] = []
        var left: [Int] = []
        var right: [Int] = []
        var value: [Double] = []

        /// A row shorter than the features a node reads counts as missing there.
        func predict(_ x: UnsafeBufferPointer<Double>) -> Double {
            var node = 0
            while feature[node] >= 0 {
                let v = feature[node] < x.count ? x[feature[node]] : .nan
                let goLeft = v.isFinite ? v <= threshold[node] : missingLeft[node]
                node = goLeft ? left[node] : right[node]
            }
            return value[node]
        }

        /// Checks what `predict` follows, so a damaged or hand-made model is refused when it is
        /// read rather than trapping (or looping) when it is used: children come after their
        /// parent, so every walk ends at a leaf.
        func validate(featureCount: Int) throws {
            let count = value.count
            guard count > 0, [feature.count, threshold.count, missingLeft.count, left.count, right.count].allSatisfy({ $0 == count })
            else { throw NumericsError.invalidInput("a tree's node arrays are empty or of different lengths") }
            for node in 0..<count where feature[node] >= 0 {
                guard feature[node] < featureCount, threshold[node].isFinite, left[node] > node, left[node] < count,
                    right[node] > node, right[node] < count
                else {
                    throw NumericsError.invalidInput(
                        "tree node \(node) reads feature \(feature[node]) of \(featureCount) or points to a child outside (\(node), \(count))"
                    )
                }
            }
            guard value.allSatisfy(\.isFinite) else { throw NumericsError.invalidInput("a tree has a leaf value that is not finite") }
        }
    }

    /// Refuses a model whose trees `predict` could not follow (see `Tree.validate`).
    public func validate() throws {
        guard base.isFinite, featureCount > 0 else { throw NumericsError.invalidInput("the model's base or feature count is invalid") }
        for tree in trees { try tree.validate(featureCount: featureCount) }
    }

    public private(set) var base: Double
    public private(set) var trees: [Tree]
    public let featureCount: Int

    /// The prediction for one row of `featureCount` values (non-finite = missing).
    public func predict(_ x: UnsafeBufferPointer<Double>, trees count: Int? = nil) -> Double {
        var sum = base
        for tree in trees.prefix(count ?? trees.count) { sum += tree.predict(x) }
        return sum
    }

    /// Fits on `rows` rows of `x` (row-major, `columns` values per row, non-finite = missing)
    /// against `y`. `checkpoint` is called after every tree with the trees so far (validation
    /// curves); `cancellation` is checked before every tree.
    public static func fit(
        x: [Double], y: [Double], columns: Int, parameters: Parameters, cancellation: FitCancellation? = nil,
        checkpoint: ((BoostedTrees) -> Void)? = nil
    ) throws -> BoostedTrees {
        try parameters.validate()
        let n = y.count
        guard n > 0, columns > 0, x.count == n * columns, y.allSatisfy(\.isFinite) else {
            throw NumericsError.invalidInput("boosted trees need finite targets and \(columns) values per row for each of \(n) rows")
        }
        let binning = Binning(x: x, rows: n, columns: columns, bins: parameters.bins)
        let base = parameters.loss == .absolute ? median(y) : y.reduce(0, +) / Double(n)
        var model = BoostedTrees(base: base, trees: [], featureCount: columns)
        var prediction = Array(repeating: base, count: n)
        var residual = Array(repeating: 0.0, count: n)
        var gradient = Array(repeating: 0.0, count: n)
        var grower = TreeGrower(binning: binning, parameters: parameters)
        for _ in 0..<parameters.trees {
            try cancellation?.check()
            for i in 0..<n { residual[i] = y[i] - prediction[i] }
            let absolute = parameters.loss == .absolute
            if absolute { for i in 0..<n { gradient[i] = residual[i] > 0 ? 1 : (residual[i] < 0 ? -1 : 0) } }
            let grown = grower.grow(residual: absolute ? gradient : residual)
            var tree = grown.tree
            let leafOfRow = grown.leafOfRow
            if absolute {
                var residualsOfLeaf = Array(repeating: [Double](), count: tree.value.count)
                for i in 0..<n { residualsOfLeaf[leafOfRow[i]].append(residual[i]) }
                for (leaf, values) in residualsOfLeaf.enumerated() where !values.isEmpty {
                    tree.value[leaf] = parameters.learningRate * median(values)
                }
            }
            for i in 0..<n { prediction[i] += tree.value[leafOfRow[i]] }
            model.trees.append(tree)
            checkpoint?(model)
        }
        return model
    }
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
