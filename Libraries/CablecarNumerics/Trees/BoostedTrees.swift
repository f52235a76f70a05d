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

/// Per feature, the cut points of its bins and every row's bin (column-major, 0 = missing).
struct Binning {
    let rows: Int
    let columns: Int
    /// `cuts[j][b]`: the upper bound of bin b + 1 of feature j.
    let cuts: [[Double]]
    let codes: [UInt8]

    init(x: [Double], rows: Int, columns: Int, bins: Int) {
        self.rows = rows
        self.columns = columns
        var cuts: [[Double]] = []
        var codes = [UInt8](repeating: 0, count: rows * columns)
        let stride = max(1, rows / 20_000)
        for j in 0..<columns {
            var sample: [Double] = []
            sample.reserveCapacity(rows / stride + 1)
            for i in Swift.stride(from: 0, to: rows, by: stride) where x[i * columns + j].isFinite { sample.append(x[i * columns + j]) }
            sample.sort()
            var featureCuts: [Double] = []
            if !sample.isEmpty {
                for b in 1..<bins {
                    let value = sample[min(sample.count - 1, b * sample.count / bins)]
                    if featureCuts.last.map({ value > $0 }) ?? true { featureCuts.append(value) }
                }
                if let top = sample.last, featureCuts.last.map({ top > $0 }) ?? true { featureCuts.append(top) }
            }
            for i in 0..<rows {
                let v = x[i * columns + j]
                guard v.isFinite else { continue }
                // First cut at or above v: values at or below cut b fall in bin b + 1.
                var lo = 0
                var hi = featureCuts.count - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if featureCuts[mid] >= v { hi = mid } else { lo = mid + 1 }
                }
                codes[j * rows + i] = UInt8(lo + 1)
            }
            cuts.append(featureCuts)
        }
        self.cuts = cuts
        self.codes = codes
    }
}

/// Grows one tree depth by depth over the binned rows.
struct TreeGrower {
    let binning: Binning
    let parameters: BoostedTrees.Parameters
    private var nodeOfRow: [Int]

    init(binning: Binning, parameters: BoostedTrees.Parameters) {
        self.binning = binning
        self.parameters = parameters
        nodeOfRow = Array(repeating: 0, count: binning.rows)
    }

    struct Split {
        var gain: Double
        var feature: Int
        var bin: Int
        var missingLeft: Bool
    }

    mutating func grow(residual: [Double]) -> (tree: BoostedTrees.Tree, leafOfRow: [Int]) {
        let n = binning.rows
        var tree = BoostedTrees.Tree()
        func addNode(sum: Double, count: Int) -> Int {
            tree.feature.append(-1)
            tree.threshold.append(0)
            tree.missingLeft.append(false)
            tree.left.append(-1)
            tree.right.append(-1)
            tree.value.append(parameters.learningRate * sum / (Double(count) + parameters.leafPenalty))
            return tree.value.count - 1
        }
        var total = 0.0
        for i in 0..<n { total += residual[i] }
        for i in 0..<n { nodeOfRow[i] = 0 }
        // Open nodes come in sibling pairs (after the root), each with its parent's slot in the
        // previous level's histograms: only the smaller sibling's histogram is summed over its
        // rows, the larger one's is the parent's minus it, which halves the passes over the rows.
        var open: [(node: Int, sum: Double, count: Int, parent: Int)] = [(addNode(sum: total, count: n), total, n, -1)]
        var previous: (sums: [Double], counts: [Int32]) = ([], [])
        let width = 256
        let stride = binning.columns * width
        for _ in 0..<parameters.depth {
            guard !open.isEmpty else { break }
            // Histograms of every open node: slot = open index, then feature, then bin.
            var summed = Array(repeating: true, count: open.count)
            if open.count > 1 {
                for pair in Swift.stride(from: 0, to: open.count, by: 2) {
                    summed[pair + (open[pair].count <= open[pair + 1].count ? 1 : 0)] = false
                }
            }
            var slotOfNode: [Int: Int] = [:]
            for (slot, entry) in open.enumerated() where summed[slot] { slotOfNode[entry.node] = slot }
            var sums = [Double](repeating: 0, count: open.count * stride)
            var counts = [Int32](repeating: 0, count: open.count * stride)
            var slotOfRow = [Int32](repeating: -1, count: n)
            for i in 0..<n { slotOfRow[i] = Int32(slotOfNode[nodeOfRow[i]] ?? -1) }
            binning.codes.withUnsafeBufferPointer { codes in
                sums.withUnsafeMutableBufferPointer { sums in
                    counts.withUnsafeMutableBufferPointer { counts in
                        residual.withUnsafeBufferPointer { residual in
                            for j in 0..<binning.columns {
                                let column = j * n
                                for i in 0..<n {
                                    let slot = Int(slotOfRow[i])
                                    guard slot >= 0 else { continue }
                                    let at = (slot * binning.columns + j) * width + Int(codes[column + i])
                                    sums[at] += residual[i]
                                    counts[at] += 1
                                }
                            }
                        }
                        for slot in open.indices where !summed[slot] {
                            let sibling = slot % 2 == 0 ? slot + 1 : slot - 1
                            let parent = open[slot].parent * stride
                            for k in 0..<stride {
                                sums[slot * stride + k] = previous.sums[parent + k] - sums[sibling * stride + k]
                                counts[slot * stride + k] = previous.counts[parent + k] - counts[sibling * stride + k]
                            }
                        }
                    }
                }
            }
            var next: [(node: Int, sum: Double, count: Int, parent: Int)] = []
            for (slot, entry) in open.enumerated() {
                guard let split = bestSplit(slot: slot, sums: sums, counts: counts, width: width, sum: entry.sum, count: entry.count)
                else { continue }
                let base = (slot * binning.columns + split.feature) * width
                var leftSum = split.missingLeft ? sums[base] : 0
                var leftCount = split.missingLeft ? Int(counts[base]) : 0
                for b in 1...split.bin {
                    leftSum += sums[base + b]
                    leftCount += Int(counts[base + b])
                }
                let leftNode = addNode(sum: leftSum, count: leftCount)
                let rightNode = addNode(sum: entry.sum - leftSum, count: entry.count - leftCount)
                tree.feature[entry.node] = split.feature
                tree.threshold[entry.node] = binning.cuts[split.feature][split.bin - 1]
                tree.missingLeft[entry.node] = split.missingLeft
                tree.left[entry.node] = leftNode
                tree.right[entry.node] = rightNode
                next.append((leftNode, leftSum, leftCount, slot))
                next.append((rightNode, entry.sum - leftSum, entry.count - leftCount, slot))
            }
            // Rows move to the child their bin picks.
            for i in 0..<n {
                let node = nodeOfRow[i]
                let feature = tree.feature[node]
                guard feature >= 0, tree.left[node] >= 0 else { continue }
                let code = Int(binning.codes[feature * n + i])
                let goLeft = code == 0 ? tree.missingLeft[node] : binning.cuts[feature][code - 1] <= tree.threshold[node]
                nodeOfRow[i] = goLeft ? tree.left[node] : tree.right[node]
            }
            open = next
            previous = (sums, counts)
        }
        return (tree, nodeOfRow)
    }

    private func bestSplit(slot: Int, sums: [Double], counts: [Int32], width: Int, sum: Double, count: Int) -> Split? {
        let penalty = parameters.leafPenalty
        let minimum = parameters.minimumLeafRows
        func score(_ s: Double, _ c: Int) -> Double { s * s / (Double(c) + penalty) }
        let parent = score(sum, count)
        var best: Split?
        for j in 0..<binning.columns {
            let base = (slot * binning.columns + j) * width
            let binCount = binning.cuts[j].count
            guard binCount >= 1 else { continue }
            let missingSum = sums[base]
            let missingCount = Int(counts[base])
            for missingLeft in missingCount > 0 ? [false, true] : [false] {
                var leftSum = missingLeft ? missingSum : 0
                var leftCount = missingLeft ? missingCount : 0
                for b in 1..<binCount {
                    leftSum += sums[base + b]
                    leftCount += Int(counts[base + b])
                    let rightCount = count - leftCount
                    guard leftCount >= minimum, rightCount >= minimum else { continue }
                    let gain = score(leftSum, leftCount) + score(sum - leftSum, rightCount) - parent
                    if gain > (best?.gain ?? 1e-12) { best = Split(gain: gain, feature: j, bin: b, missingLeft: missingLeft) }
                }
            }
        }
        return best
    }
}
