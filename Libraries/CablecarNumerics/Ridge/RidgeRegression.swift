import COpenBLAS

/// Ridge regression with standardized features and an unpenalized intercept:
/// minimizes `‖(y − ȳ) − Z w‖² + λ‖w‖²` where `Z` is `X` centered and divided by the population
/// standard deviation of each column (scikit-learn's `StandardScaler` followed by `Ridge(alpha: λ)`).
///
/// `RidgeProblem` holds the normal equations, built in one pass over the data, so several
/// penalties can be tried for the price of a `p × p` Cholesky solve each.
public struct RidgeProblem: Sendable {
    public let rows: Int
    public let columns: Int
    public let means: [Double]
    /// Population standard deviation per column; 1 for a constant column (it then gets weight 0).
    public let scales: [Double]
    public let yMean: Double
    /// `Z'Z`, p × p row-major, both triangles.
    public let gram: [Double]
    /// `Z'(y − ȳ)`.
    public let rhs: [Double]

    /// Uses the first `rowCount` rows of `x` and `y` (all by default), so a training prefix of a
    /// train-then-validation matrix can be fitted without copying.
    ///
    /// `weights` (one per used row, positive) make it weighted ridge: rows count `weights[i]`
    /// times, centering uses weighted means. `scales` fixes the standardization (a robust fit
    /// reweights repeatedly and keeps the penalty's scale); by default the population standard
    /// deviations of the used rows.
    public init(x: DenseMatrix, y: [Double], rowCount: Int? = nil, weights: [Double]? = nil, scales: [Double]? = nil) throws {
        let n = rowCount ?? x.rows
        guard n > 0 else { throw NumericsError.invalidInput("no training rows") }
        guard n <= x.rows, y.count >= n, y.count == x.rows else {
            throw NumericsError.invalidInput("\(x.rows) rows, \(y.count) targets, \(n) rows requested")
        }
        if let weights {
            guard weights.count >= n, weights.prefix(n).allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw NumericsError.invalidInput("weights must be positive and finite, one per row")
            }
        }
        if let scales, scales.count != x.columns {
            throw NumericsError.invalidInput("\(scales.count) scales for \(x.columns) columns")
        }
        BLASRuntime.ensureDeterministic()
        let p = x.columns
        var sums = Array(repeating: 0.0, count: p)
        var ySum = 0.0
        var weightSum = 0.0
        try x.values.withUnsafeBufferPointer { xs in
            for r in 0..<n {
                let base = r * p
                let w = weights?[r] ?? 1
                for c in 0..<p { sums[c] += w * xs[base + c] }
                guard y[r].isFinite else { throw NumericsError.invalidInput("target \(r) is not finite") }
                ySum += w * y[r]
                weightSum += w
            }
        }
        let means = sums.map { $0 / weightSum }
        let resolvedScales: [Double]
        if let scales {
            resolvedScales = scales
        } else {
            var squares = Array(repeating: 0.0, count: p)
            x.values.withUnsafeBufferPointer { xs in
                for r in 0..<n {
                    let base = r * p
                    for c in 0..<p {
                        let d = xs[base + c] - means[c]
                        squares[c] += d * d
                    }
                }
            }
            guard squares.allSatisfy({ $0.isFinite }) else {
                throw NumericsError.invalidInput("a feature value is not finite; impute missing values first")
            }
            resolvedScales = zip(squares, means).map { square, mean -> Double in
                let sd = (square / Double(n)).squareRoot()
                // Same rule as scikit-learn: a (numerically) constant column keeps scale 1.
                return sd <= 10 * Double.ulpOfOne * max(1, abs(mean)) ? 1 : sd
            }
        }
        guard means.allSatisfy({ $0.isFinite }) else {
            throw NumericsError.invalidInput("a feature value is not finite; impute missing values first")
        }
        let yMean = ySum / weightSum
        let accumulator = GramAccumulator(columns: p, means: means, scales: resolvedScales, yMean: yMean)
        let (gram, rhs) = accumulator.gramAndRHS(x: x, y: y, rows: n, weights: weights)
        self.rows = n
        self.columns = p
        self.means = means
        self.scales = resolvedScales
        self.yMean = yMean
        self.gram = gram
        self.rhs = rhs
    }

    private init(
        rows: Int, columns: Int, means: [Double], scales: [Double], yMean: Double, gram: [Double], rhs: [Double]
    ) {
        self.rows = rows
        self.columns = columns
        self.means = means
        self.scales = scales
        self.yMean = yMean
        self.gram = gram
        self.rhs = rhs
    }

    /// The same problem for the target `y + Σ weight · x[column]`, without another pass over the
    /// rows: since `x[c] − mean[c] = scale[c] · z[c]`, the new right-hand side is
    /// `rhs + Σ weight · scale[c] · (Z'Z)[·, c]`. Lets a fit try another target that differs from
    /// `y` by columns of `x` (another anchor) for the price of a solve.
    public func shiftingTarget(by terms: [(column: Int, weight: Double)]) throws -> RidgeProblem {
        var rhs = self.rhs
        var yMean = self.yMean
        for term in terms {
            guard (0..<columns).contains(term.column), term.weight.isFinite else {
                throw NumericsError.invalidInput("no column \(term.column) to shift the target by")
            }
            let factor = term.weight * scales[term.column]
            for row in 0..<columns { rhs[row] += factor * gram[row * columns + term.column] }
            yMean += term.weight * means[term.column]
        }
        return RidgeProblem(rows: rows, columns: columns, means: means, scales: scales, yMean: yMean, gram: gram, rhs: rhs)
    }

    /// Solves `(Z'Z + λI) w = Z'(y − ȳ)` by Cholesky (LAPACK dposv).
    public func solve(penalty: Double) throws -> RidgeSolution {
        guard penalty >= 0, penalty.isFinite else {
            throw NumericsError.invalidInput("ridge penalty must be a finite number ≥ 0, got \(penalty)")
        }
        let p = columns
        guard p > 0 else {
            return RidgeSolution(penalty: penalty, intercept: yMean, coefficients: [], standardizedCoefficients: [])
        }
        BLASRuntime.ensureDeterministic()
        var a = gram
        for i in 0..<p { a[i * p + i] += penalty }
        var b = rhs
        let info = a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(p), 1, ap.baseAddress, Int32(p), bp.baseAddress, 1)
            }
        }
        guard info == 0 else { throw NumericsError.lapackFailure(routine: "dposv", info: info) }
        let coefficients = (0..<p).map { b[$0] / scales[$0] }
        var intercept = yMean
        for j in 0..<p { intercept -= coefficients[j] * means[j] }
        return RidgeSolution(
            penalty: penalty, intercept: intercept, coefficients: coefficients, standardizedCoefficients: b)
    }
}

/// A fitted ridge model on the original feature scale: `ŷ = intercept + Σ coefficients[j]·x[j]`.
public struct RidgeSolution: Sendable, Equatable, Codable {
    public var penalty: Double
    public var intercept: Double
    public var coefficients: [Double]
    /// The weights on standardized features (what the penalty acts on; comparable to
    /// scikit-learn's `Ridge.coef_` after `StandardScaler`).
    public var standardizedCoefficients: [Double]

    public init(penalty: Double, intercept: Double, coefficients: [Double], standardizedCoefficients: [Double]) {
        self.penalty = penalty
        self.intercept = intercept
        self.coefficients = coefficients
        self.standardizedCoefficients = standardizedCoefficients
    }

    /// Prediction for one row; a plain sequential sum so it is bit-reproducible.
    @inlinable
    public func predict(_ row: UnsafeBufferPointer<Double>) -> Double {
        var sum = intercept
        for j in 0..<coefficients.count { sum += coefficients[j] * row[j] }
        return sum
    }

    public func predict(_ row: [Double]) -> Double {
        row.withUnsafeBufferPointer { predict($0) }
    }

    /// Predictions for every row of `x`.
    public func predict(_ x: DenseMatrix) -> [Double] {
        precondition(x.columns == coefficients.count, "matrix has \(x.columns) columns, model \(coefficients.count)")
        var out = Array(repeating: 0.0, count: x.rows)
        x.values.withUnsafeBufferPointer { xs in
            for r in 0..<x.rows {
                out[r] = predict(UnsafeBufferPointer(rebasing: xs[(r * x.columns)..<((r + 1) * x.columns)]))
            }
        }
        return out
    }
}

/// One-call ridge fit.
public enum RidgeRegression {
    public static func fit(x: DenseMatrix, y: [Double], penalty: Double) throws -> RidgeSolution {
        try RidgeProblem(x: x, y: y).solve(penalty: penalty)
    }
}
