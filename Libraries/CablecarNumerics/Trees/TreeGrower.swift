/// Grows one tree depth by depth over the binned rows.
///
/// The rows of each node are kept together in `order` (ascending within a node), so a node's
/// histograms are summed over its own rows alone, reading each row's codes contiguously
/// (`Binning.rowCodes`). Rows are visited in the same order as a pass over every row would, so
/// the sums, and the trees, do not depend on this layout.
struct TreeGrower {
    let binning: Binning
    let parameters: BoostedTrees.Parameters
    private var nodeOfRow: [Int]
    /// Row indices grouped by node; `scratch` holds a node's right-hand rows while it is split.
    private var order: [Int32]
    private var scratch: [Int32]

    init(binning: Binning, parameters: BoostedTrees.Parameters) {
        self.binning = binning
        self.parameters = parameters
        nodeOfRow = Array(repeating: 0, count: binning.rows)
        order = Array(repeating: 0, count: binning.rows)
        scratch = Array(repeating: 0, count: binning.rows)
    }

    /// A bin's residual sum and row count, side by side: a row's update touches one cache line.
    struct BinTotals {
        var sum = 0.0
        var count = 0.0

        func minus(_ other: BinTotals) -> BinTotals { BinTotals(sum: sum - other.sum, count: count - other.count) }
    }

    struct Split {
        var gain: Double
        var feature: Int
        var bin: Int
        var missingLeft: Bool
    }

    /// A node still to split: its rows are `order[start..<start + count]`, and `parent` is its
    /// parent's slot in the previous level's histograms.
    private struct OpenNode {
        var node: Int
        var sum: Double
        var count: Int
        var parent: Int
        var start: Int
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
        for i in 0..<n {
            total += residual[i]
            nodeOfRow[i] = 0
            order[i] = Int32(i)
        }
        // Open nodes come in sibling pairs (after the root): only the smaller sibling's histogram
        // is summed over its rows, the larger one's is the parent's minus it.
        var open = [OpenNode(node: addNode(sum: total, count: n), sum: total, count: n, parent: -1, start: 0)]
        var previous: [BinTotals] = []
        // Codes run from 0 (missing) to the feature's number of cuts, at most `bins`.
        let columns = binning.columns
        let stride = binning.histogramWidth
        for _ in 0..<parameters.depth {
            guard !open.isEmpty else { break }
            var summed = Array(repeating: true, count: open.count)
            if open.count > 1 {
                for pair in Swift.stride(from: 0, to: open.count, by: 2) {
                    summed[pair + (open[pair].count <= open[pair + 1].count ? 1 : 0)] = false
                }
            }
            // Histograms of every open node: slot = open index, then feature, then bin.
            var totals = [BinTotals](repeating: BinTotals(), count: open.count * stride)
            binning.rowCodes.withUnsafeBufferPointer { codes in
                order.withUnsafeBufferPointer { order in
                    totals.withUnsafeMutableBufferPointer { totals in
                        residual.withUnsafeBufferPointer { residual in
                            binning.histogramOffsets.withUnsafeBufferPointer { offsets in
                                for (slot, entry) in open.enumerated() where summed[slot] {
                                    let histogram = slot * stride
                                    for position in entry.start..<(entry.start + entry.count) {
                                        let row = Int(order[position])
                                        let value = residual[row]
                                        let codesOfRow = row * columns
                                        for j in 0..<columns {
                                            let at = histogram + offsets[j] + Int(codes[codesOfRow + j])
                                            totals[at].sum += value
                                            totals[at].count += 1
                                        }
                                    }
                                }
                            }
                        }
                        for slot in open.indices where !summed[slot] {
                            let sibling = slot % 2 == 0 ? slot + 1 : slot - 1
                            let parent = open[slot].parent * stride
                            for k in 0..<stride {
                                totals[slot * stride + k] = previous[parent + k].minus(totals[sibling * stride + k])
                            }
                        }
                    }
                }
            }
            var next: [OpenNode] = []
            for (slot, entry) in open.enumerated() {
                guard let split = bestSplit(slot: slot, totals: totals, sum: entry.sum, count: entry.count)
                else { continue }
                let base = slot * stride + binning.histogramOffsets[split.feature]
                var leftSum = split.missingLeft ? totals[base].sum : 0
                var leftCount = split.missingLeft ? Int(totals[base].count) : 0
                for b in 1...split.bin {
                    leftSum += totals[base + b].sum
                    leftCount += Int(totals[base + b].count)
                }
                let leftNode = addNode(sum: leftSum, count: leftCount)
                let rightNode = addNode(sum: entry.sum - leftSum, count: entry.count - leftCount)
                tree.feature[entry.node] = split.feature
                tree.threshold[entry.node] = binning.cuts[split.feature][split.bin - 1]
                tree.missingLeft[entry.node] = split.missingLeft
                tree.left[entry.node] = leftNode
                tree.right[entry.node] = rightNode
                partition(entry, feature: split.feature, bin: split.bin, missingLeft: split.missingLeft, left: leftNode, right: rightNode)
                next.append(OpenNode(node: leftNode, sum: leftSum, count: leftCount, parent: slot, start: entry.start))
                next.append(
                    OpenNode(
                        node: rightNode, sum: entry.sum - leftSum, count: entry.count - leftCount, parent: slot,
                        start: entry.start + leftCount))
            }
            open = next
            previous = totals
        }
        return (tree, nodeOfRow)
    }

    /// Moves a split node's rows to its children: the left child's first, each side keeping the
    /// rows' ascending order. Values at or below the split's bin go left (bins follow the cuts).
    private mutating func partition(_ entry: OpenNode, feature: Int, bin: Int, missingLeft: Bool, left: Int, right: Int) {
        let column = feature * binning.rows
        var kept = entry.start
        var moved = 0
        for position in entry.start..<(entry.start + entry.count) {
            let row = Int(order[position])
            let code = Int(binning.codes[column + row])
            if code == 0 ? missingLeft : code <= bin {
                order[kept] = Int32(row)
                kept += 1
                nodeOfRow[row] = left
            } else {
                scratch[moved] = Int32(row)
                moved += 1
                nodeOfRow[row] = right
            }
        }
        for k in 0..<moved { order[kept + k] = scratch[k] }
    }

    private func bestSplit(slot: Int, totals: [BinTotals], sum: Double, count: Int) -> Split? {
        let penalty = parameters.leafPenalty
        let minimum = parameters.minimumLeafRows
        func score(_ s: Double, _ c: Int) -> Double { s * s / (Double(c) + penalty) }
        let parent = score(sum, count)
        var best: Split?
        for j in 0..<binning.columns {
            let base = slot * binning.histogramWidth + binning.histogramOffsets[j]
            let binCount = binning.cuts[j].count
            guard binCount >= 1 else { continue }
            let missingSum = totals[base].sum
            let missingCount = Int(totals[base].count)
            for missingLeft in missingCount > 0 ? [false, true] : [false] {
                var leftSum = missingLeft ? missingSum : 0
                var leftCount = missingLeft ? missingCount : 0
                for b in 1..<binCount {
                    leftSum += totals[base + b].sum
                    leftCount += Int(totals[base + b].count)
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
