/// Per feature, the cut points of its bins and every row's bin (0 = missing).
struct Binning {
    let rows: Int
    let columns: Int
    /// `cuts[j][b]`: the upper bound of bin b + 1 of feature j.
    let cuts: [[Double]]
    let codes: [UInt8]
    /// The same codes row-major: a histogram pass reads one row's codes together.
    let rowCodes: [UInt8]
    /// Where feature j's bins start in a node's histogram, which holds codes 0 ... `cuts[j].count`
    /// of each feature: as wide as its bins, so a 0/1 column takes 3 slots, not `bins + 1`.
    let histogramOffsets: [Int]
    /// Slots of one node's histogram, every feature's bins together.
    let histogramWidth: Int

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
        var offsets: [Int] = []
        var width = 0
        for featureCuts in cuts {
            offsets.append(width)
            width += featureCuts.count + 1
        }
        histogramOffsets = offsets
        histogramWidth = width
        var rowCodes = [UInt8](repeating: 0, count: rows * columns)
        for j in 0..<columns {
            for i in 0..<rows { rowCodes[i * columns + j] = codes[j * rows + i] }
        }
        self.rowCodes = rowCodes
    }
}
