import CablecarNumerics
import Testing

@Suite struct ShiftedTargetTests {
    /// A target that differs from `y` by columns of `x` gives, through the Gram of `y`'s problem,
    /// the solution a fresh fit on the new target gives.
    @Test func shiftingTheTargetByColumnsEqualsFittingTheShiftedTarget() throws {
        let rows = 400
        let columns = 5
        var state: UInt64 = 3
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var x = DenseMatrix(zeroRows: rows, columns: columns)
        var y = Array(repeating: 0.0, count: rows)
        for r in 0..<rows {
            for c in 0..<columns { x.values[r * columns + c] = Double(c + 1) * uniform() + Double(c) }
            y[r] = 2 * x.values[r * columns] - x.values[r * columns + 3] + uniform()
        }
        let shifted = (0..<rows).map { y[$0] + x.values[$0 * columns + 4] - 0.5 * x.values[$0 * columns + 1] }
        for penalty in [0.01, 10, 1000] {
            let derived = try RidgeProblem(x: x, y: y, rowCount: 300)
                .shiftingTarget(by: [(column: 4, weight: 1), (column: 1, weight: -0.5)]).solve(penalty: penalty)
            let direct = try RidgeProblem(x: x, y: shifted, rowCount: 300).solve(penalty: penalty)
            #expect(abs(derived.intercept - direct.intercept) < 1e-9)
            for (a, b) in zip(derived.coefficients, direct.coefficients) { #expect(abs(a - b) < 1e-9) }
        }
        #expect(throws: NumericsError.self) { try RidgeProblem(x: x, y: y).shiftingTarget(by: [(column: 9, weight: 1)]) }
    }
}
