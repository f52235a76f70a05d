import Testing

@testable import CablecarNumerics

/// Plain closed-form ridge for two features, written out by hand: standardize (population sd),
/// center y, solve the 2×2 system (Z'Z + λI) w = Z'y by Cramer's rule, map back.
private func closedFormTwoFeatures(x: [[Double]], y: [Double], lambda: Double) -> (intercept: Double, beta: [Double]) {
    let n = Double(x.count)
    let mean0 = x.map { $0[0] }.reduce(0, +) / n
    let mean1 = x.map { $0[1] }.reduce(0, +) / n
    let sd0 = (x.map { ($0[0] - mean0) * ($0[0] - mean0) }.reduce(0, +) / n).squareRoot()
    let sd1 = (x.map { ($0[1] - mean1) * ($0[1] - mean1) }.reduce(0, +) / n).squareRoot()
    let yMean = y.reduce(0, +) / n
    var a = 0.0
    var b = 0.0
    var d = 0.0
    var r0 = 0.0
    var r1 = 0.0
    for (row, target) in zip(x, y) {
        let z0 = (row[0] - mean0) / sd0
        let z1 = (row[1] - mean1) / sd1
        a += z0 * z0
        b += z0 * z1
        d += z1 * z1
        r0 += z0 * (target - yMean)
        r1 += z1 * (target - yMean)
    }
    a += lambda
    d += lambda
    let det = a * d - b * b
    let w0 = (r0 * d - b * r1) / det
    let w1 = (a * r1 - b * r0) / det
    let beta = [w0 / sd0, w1 / sd1]
    return (yMean - beta[0] * mean0 - beta[1] * mean1, beta)
}

@Suite struct RidgeTests {
    let x: [[Double]] = [[1, 10], [2, 7], [3, 13], [4, 6], [5, 15], [6, 9], [7, 2]]
    let y: [Double] = [3.1, 4.9, 8.2, 8.8, 12.5, 12.1, 13.0]

    @Test(arguments: [0.0, 0.5, 3.0, 100.0])
    func matchesTheClosedFormOnASmallSystem(lambda: Double) throws {
        let solution = try RidgeRegression.fit(x: DenseMatrix(rowArrays: x), y: y, penalty: lambda)
        let expected = closedFormTwoFeatures(x: x, y: y, lambda: lambda)
        #expect(abs(solution.intercept - expected.intercept) < 1e-10)
        for j in 0..<2 { #expect(abs(solution.coefficients[j] - expected.beta[j]) < 1e-10) }
        #expect(solution.penalty == lambda)
    }

    @Test func recoversAnExactLinearRelationWithoutPenalty() throws {
        let rows: [[Double]] = (0..<50).map { (i: Int) -> [Double] in
            let a = Double(i % 7)
            let b = Double(i * i % 11)
            return [a, b, Double(i) / 3]
        }
        let targets: [Double] = rows.map { (row: [Double]) -> Double in
            let linear: Double = 2 * row[0] - row[1]
            return 3 + linear + 0.5 * row[2]
        }
        let solution = try RidgeRegression.fit(x: DenseMatrix(rowArrays: rows), y: targets, penalty: 0)
        #expect(abs(solution.intercept - 3) < 1e-9)
        #expect(abs(solution.coefficients[0] - 2) < 1e-9)
        #expect(abs(solution.coefficients[1] + 1) < 1e-9)
        #expect(abs(solution.coefficients[2] - 0.5) < 1e-9)
        let expected: Double = 4.5
        #expect(abs(solution.predict([1, 2, 3]) - expected) < 1e-9)
    }

    @Test func penaltyShrinksTheWeights() throws {
        let matrix = try DenseMatrix(rowArrays: x)
        let problem = try RidgeProblem(x: matrix, y: y)
        let small = try problem.solve(penalty: 0.01)
        let large = try problem.solve(penalty: 1000)
        let norm = { (s: RidgeSolution) in s.standardizedCoefficients.map { $0 * $0 }.reduce(0, +) }
        #expect(norm(large) < norm(small) / 100)
        // The intercept is not penalized: with huge λ predictions tend to the mean of y.
        let mean = y.reduce(0, +) / Double(y.count)
        #expect(abs(try problem.solve(penalty: 1e12).predict(x[0]) - mean) < 1e-6)
    }

    @Test func aConstantColumnGetsNoWeight() throws {
        let rows = (0..<20).map { i in [Double(i), 5.0] }
        let targets = rows.map { 1 + 0.25 * $0[0] }
        let solution = try RidgeRegression.fit(x: DenseMatrix(rowArrays: rows), y: targets, penalty: 0.1)
        #expect(solution.coefficients[1] == 0)
        #expect(abs(solution.predict([4, 5]) - 2) < 0.01)
    }

    @Test func largeInputsAreBitIdenticalAcrossFitsAndMatchASequentialGram() throws {
        // Many blocks and all four partitions in use.
        let n = 3 * GramAccumulator.blockRows * GramAccumulator.partitions + 17
        let p = 6
        var values: [Double] = []
        values.reserveCapacity(n * p)
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var targets: [Double] = []
        for _ in 0..<n {
            let row = (0..<p).map { j in next() * Double(j + 1) + Double(j) }
            values.append(contentsOf: row)
            targets.append(row.enumerated().map { Double($0.offset) * $0.element }.reduce(0, +) + next())
        }
        let matrix = try DenseMatrix(rows: n, columns: p, values: values)
        let first = try RidgeRegression.fit(x: matrix, y: targets, penalty: 2.5)
        let second = try RidgeRegression.fit(x: matrix, y: targets, penalty: 2.5)
        #expect(first.coefficients.map(\.bitPattern) == second.coefficients.map(\.bitPattern))
        #expect(first.intercept.bitPattern == second.intercept.bitPattern)

        // The blocked BLAS Gram equals a plain sequential one to rounding.
        let problem = try RidgeProblem(x: matrix, y: targets)
        for a in 0..<p {
            for b in 0..<p {
                var sum = 0.0
                for r in 0..<n {
                    sum +=
                        (values[r * p + a] - problem.means[a]) / problem.scales[a]
                        * (values[r * p + b] - problem.means[b]) / problem.scales[b]
                }
                #expect(abs(problem.gram[a * p + b] - sum) <= 1e-9 * max(1, abs(sum)))
            }
        }
        #expect(abs(problem.gram[0] - Double(n)) < 1e-6, "a standardized column has Σz² = n")
    }

    @Test func usesOnlyTheRequestedPrefix() throws {
        let matrix = try DenseMatrix(rowArrays: x)
        let prefix = try RidgeProblem(x: matrix, y: y, rowCount: 5).solve(penalty: 1)
        let direct = try RidgeRegression.fit(x: DenseMatrix(rowArrays: Array(x.prefix(5))), y: Array(y.prefix(5)), penalty: 1)
        #expect(prefix == direct)
    }

    @Test func badInputIsRejectedWithAReason() throws {
        let matrix = try DenseMatrix(rowArrays: x)
        #expect(throws: NumericsError.self) { try RidgeRegression.fit(x: matrix, y: [1, 2], penalty: 1) }
        #expect(throws: NumericsError.self) { try RidgeRegression.fit(x: matrix, y: y, penalty: -1) }
        #expect(throws: NumericsError.self) { try DenseMatrix(rowArrays: [[1, 2], [3]]) }
        let nan = try DenseMatrix(rowArrays: [[1, .nan], [2, 3], [4, 5]])
        #expect(throws: NumericsError.self) { try RidgeRegression.fit(x: nan, y: [1, 2, 3], penalty: 1) }
    }
}
