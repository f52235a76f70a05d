/// Ridge fitted for absolute error instead of squared error, by iteratively reweighted least
/// squares: each pass weights a row by 1 / max(|residual|, ε) (normalized to mean 1, so the
/// penalty keeps its scale), which drives the fit toward the conditional median. Traffic errors
/// are heavy-tailed (an incident's slowdown is far off the usual), and forecasts are judged by
/// MAE: a least-squares fit chases the tails, the median does not.
///
/// Deterministic like `RidgeProblem`: a fixed number of passes, sequential weight computation.
public enum RobustRidge {
    public static func fitLeastAbsolute(
        x: DenseMatrix, y: [Double], rowCount: Int? = nil, penalty: Double, passes: Int = 6, start: RidgeSolution? = nil
    ) throws -> RidgeSolution {
        let n = rowCount ?? x.rows
        let base = try RidgeProblem(x: x, y: y, rowCount: n)
        var solution = try start ?? base.solve(penalty: penalty)
        var weights = Array(repeating: 1.0, count: n)
        for _ in 0..<passes {
            var residuals = Array(repeating: 0.0, count: n)
            var absoluteSum = 0.0
            x.values.withUnsafeBufferPointer { xs in
                let p = x.columns
                for r in 0..<n {
                    let residual = abs(y[r] - solution.predict(UnsafeBufferPointer(rebasing: xs[(r * p)..<((r + 1) * p)])))
                    residuals[r] = residual
                    absoluteSum += residual
                }
            }
            // ε: a small fraction of the mean absolute residual keeps weights finite near zero residuals.
            let epsilon = max(1e-9, 0.05 * absoluteSum / Double(n))
            var weightSum = 0.0
            for r in 0..<n {
                weights[r] = 1 / max(residuals[r], epsilon)
                weightSum += weights[r]
            }
            let scale = Double(n) / weightSum
            for r in 0..<n { weights[r] *= scale }
            solution = try RidgeProblem(x: x, y: y, rowCount: n, weights: weights, scales: base.scales).solve(penalty: penalty)
        }
        return solution
    }
}
