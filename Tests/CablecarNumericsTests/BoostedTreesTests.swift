import Foundation
import Testing

@testable import CablecarNumerics

@Suite("Boosted trees")
struct BoostedTreesTests {
    /// y = 3 where x0 > 0.5 and x1 is missing or above 2, else -1, plus a little noise: one
    /// interaction a linear model cannot express.
    static func data(rows: Int, seed: UInt64) -> (x: [Double], y: [Double]) {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var x: [Double] = []
        var y: [Double] = []
        for _ in 0..<rows {
            let x0 = uniform()
            let x1 = uniform() < 0.2 ? Double.nan : 4 * uniform()
            let x2 = uniform()
            x += [x0, x1, x2]
            let high = x0 > 0.5 && (!x1.isFinite || x1 > 2)
            y.append((high ? 3 : -1) + 0.1 * (uniform() - 0.5))
        }
        return (x, y)
    }

    @Test func treesLearnAnInteractionWithMissingValues() throws {
        let train = Self.data(rows: 4_000, seed: 1)
        let test = Self.data(rows: 1_000, seed: 2)
        let model = try BoostedTrees.fit(
            x: train.x, y: train.y, columns: 3, parameters: .init(trees: 60, depth: 3, learningRate: 0.3, minimumLeafRows: 20))
        var absolute = 0.0
        var baseline = 0.0
        let mean = train.y.reduce(0, +) / Double(train.y.count)
        test.x.withUnsafeBufferPointer { xs in
            for i in 0..<test.y.count {
                let predicted = model.predict(UnsafeBufferPointer(rebasing: xs[(3 * i)..<(3 * i + 3)]))
                absolute += abs(predicted - test.y[i])
                baseline += abs(mean - test.y[i])
            }
        }
        let mae = absolute / Double(test.y.count)
        #expect(mae < 0.1, "test MAE \(mae) (the mean scores \(baseline / Double(test.y.count)))")
    }

    /// A 0/1 column's histogram holds its three codes (missing, 0, 1), a constant column's two,
    /// a continuous column's all its bins: the trees read each column at its own offset and
    /// still learn y = 2·x0 + x1 (a misplaced offset would sum one column's rows into another's).
    @Test func histogramsAreAsWideAsEachColumnsBins() throws {
        var x: [Double] = []
        var y: [Double] = []
        var state: UInt64 = 7
        for i in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let flag = Double(i % 2)
            let level = Double(state >> 11) / Double(1 << 53)
            x += [flag, level, 5]
            y.append(2 * flag + level)
        }
        let binning = Binning(x: x, rows: 3_000, columns: 3, bins: 63)
        #expect(binning.histogramOffsets == [0, 3, 3 + binning.cuts[1].count + 1])
        #expect(binning.histogramWidth == 3 + (binning.cuts[1].count + 1) + 2)
        #expect(binning.cuts[1].count == 63, "the continuous column has every bin")
        let model = try BoostedTrees.fit(
            x: x, y: y, columns: 3, parameters: .init(trees: 80, depth: 3, learningRate: 0.3, minimumLeafRows: 20))
        var absolute = 0.0
        x.withUnsafeBufferPointer { xs in
            for i in 0..<3_000 { absolute += abs(model.predict(UnsafeBufferPointer(rebasing: xs[(3 * i)..<(3 * i + 3)])) - y[i]) }
        }
        #expect(absolute / 3_000 < 0.05, "training MAE \(absolute / 3_000)")
    }

    @Test func absoluteLossIsNotPulledByOutliers() throws {
        var train = Self.data(rows: 4_000, seed: 6)
        // One row in ten is off by +40: the squared loss's leaves move toward them, the median does not.
        for i in stride(from: 0, to: train.y.count, by: 10) { train.y[i] += 40 }
        let test = Self.data(rows: 1_000, seed: 7)
        func testMAE(_ loss: BoostedTrees.Loss) throws -> Double {
            let model = try BoostedTrees.fit(
                x: train.x, y: train.y, columns: 3,
                parameters: .init(trees: 60, depth: 3, learningRate: 0.3, minimumLeafRows: 20, loss: loss))
            var sum = 0.0
            test.x.withUnsafeBufferPointer { xs in
                for i in 0..<test.y.count {
                    sum += abs(model.predict(UnsafeBufferPointer(rebasing: xs[(3 * i)..<(3 * i + 3)])) - test.y[i])
                }
            }
            return sum / Double(test.y.count)
        }
        let absolute = try testMAE(.absolute)
        let squared = try testMAE(.squared)
        #expect(absolute < 0.1, "absolute loss: test MAE \(absolute)")
        #expect(squared > 2, "squared loss: test MAE \(squared)")
    }

    @Test func fitsAreDeterministicAndRoundTrip() throws {
        let train = Self.data(rows: 2_000, seed: 3)
        let parameters = BoostedTrees.Parameters(trees: 20, depth: 4)
        let one = try BoostedTrees.fit(x: train.x, y: train.y, columns: 3, parameters: parameters)
        let two = try BoostedTrees.fit(x: train.x, y: train.y, columns: 3, parameters: parameters)
        #expect(one == two)
        let decoded = try JSONDecoder().decode(BoostedTrees.self, from: JSONEncoder().encode(one))
        #expect(decoded == one)
    }

    @Test func checkpointsSeeEveryTreeAndErrorsFall() throws {
        let train = Self.data(rows: 2_000, seed: 4)
        var errors: [Double] = []
        _ = try BoostedTrees.fit(x: train.x, y: train.y, columns: 3, parameters: .init(trees: 15, depth: 3, learningRate: 0.3)) {
            model in
            var sum = 0.0
            train.x.withUnsafeBufferPointer { xs in
                for i in 0..<train.y.count {
                    sum += abs(model.predict(UnsafeBufferPointer(rebasing: xs[(3 * i)..<(3 * i + 3)])) - train.y[i])
                }
            }
            errors.append(sum / Double(train.y.count))
        }
        #expect(errors.count == 15)
        #expect(errors.last ?? .infinity < 0.5 * (errors.first ?? 0))
    }

    @Test func aDamagedModelIsRefusedWhenReadAndShortRowsCountAsMissing() throws {
        let train = Self.data(rows: 1_000, seed: 5)
        let model = try BoostedTrees.fit(x: train.x, y: train.y, columns: 3, parameters: .init(trees: 5, depth: 3))
        try model.validate()
        let encoded = String(decoding: try JSONEncoder().encode(model), as: UTF8.self)
        // A child pointing back to the root would loop forever; a feature past the row would read
        // outside it.
        for damaged in [
            encoded.replacingOccurrences(of: "\"left\":[", with: "\"left\":[0,"),
            encoded.replacingOccurrences(of: "\"featureCount\":3", with: "\"featureCount\":1"),
        ] {
            let decoded = try JSONDecoder().decode(BoostedTrees.self, from: Data(damaged.utf8))
            #expect(throws: NumericsError.self) { try decoded.validate() }
        }
        let short: [Double] = [0.9]
        let prediction = short.withUnsafeBufferPointer { model.predict($0) }
        #expect(prediction.isFinite)
    }

    @Test func aCancelledFitStopsBeforeItsNextTree() throws {
        let x = (0..<2_000).map { Double($0 % 97) }
        let y = x.map { $0 > 50 ? 1.0 : -1.0 }
        let cancellation = FitCancellation()
        var grown = 0
        #expect(throws: CancellationError.self) {
            _ = try BoostedTrees.fit(
                x: x, y: y, columns: 1, parameters: BoostedTrees.Parameters(trees: 50, depth: 2), cancellation: cancellation
            ) { model in
                grown = model.trees.count
                if grown == 3 { cancellation.cancel() }
            }
        }
        #expect(grown == 3)
        #expect(throws: Never.self) {
            try BoostedTrees.fit(
                x: x, y: y, columns: 1, parameters: BoostedTrees.Parameters(trees: 5, depth: 2), cancellation: FitCancellation())
        }
    }

    @Test func badInputIsRefused() {
        #expect(throws: NumericsError.self) { try BoostedTrees.fit(x: [1, 2], y: [1], columns: 3, parameters: .init()) }
        #expect(throws: NumericsError.self) { try BoostedTrees.fit(x: [1], y: [.nan], columns: 1, parameters: .init()) }
        #expect(throws: NumericsError.self) { try BoostedTrees.fit(x: [1], y: [1], columns: 1, parameters: .init(trees: 0)) }
    }
}
