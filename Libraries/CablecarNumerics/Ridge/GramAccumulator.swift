import COpenBLAS
import Dispatch

/// Standardized normal equations `Z'Z`, `Z'(y - ȳ)` of a design matrix, computed block by block
/// so the standardized copy of the data never exists in full.
///
/// Determinism: rows are cut into a fixed number of contiguous partitions (independent of the
/// core count), each accumulated sequentially with single-threaded BLAS, and the partial sums are
/// added in partition order. The same inputs therefore give bit-identical sums on any machine
/// with the same OpenBLAS kernels, while two cores still share the work.
struct GramAccumulator {
    static let partitions = 4
    static let blockRows = 4096

    let columns: Int
    let means: [Double]
    let scales: [Double]
    let yMean: Double

    /// Upper and lower triangles both filled (p × p, row-major).
    func gramAndRHS(x: DenseMatrix, y: [Double], rows n: Int, weights: [Double]? = nil) -> (gram: [Double], rhs: [Double]) {
        let p = columns
        var partials = Array(repeating: (gram: [Double](), rhs: [Double]()), count: Self.partitions)
        let perPartition = (n + Self.partitions - 1) / Self.partitions
        partials.withUnsafeMutableBufferPointer { partialsBuffer in
            x.values.withUnsafeBufferPointer { xs in
                y.withUnsafeBufferPointer { ys in
                    let roots = weights.map { $0.prefix(n).map { $0.squareRoot() } }
                    // Each partition writes only its own slot and reads the shared inputs, which
                    // outlive concurrentPerform; hence the unchecked sharing.
                    let shared = SharedBuffers(out: partialsBuffer, xs: xs, ys: ys)
                    DispatchQueue.concurrentPerform(iterations: Self.partitions) { part in
                        let lower = min(n, part * perPartition)
                        let upper = min(n, lower + perPartition)
                        shared.out[part] = accumulate(
                            xs: shared.xs, ys: shared.ys, roots: roots, rows: lower..<upper, p: p)
                    }
                }
            }
        }
        var gram = Array(repeating: 0.0, count: p * p)
        var rhs = Array(repeating: 0.0, count: p)
        for partial in partials {
            for i in 0..<(p * p) { gram[i] += partial.gram[i] }
            for i in 0..<p { rhs[i] += partial.rhs[i] }
        }
        // dsyrk filled the upper triangle (row-major); mirror it.
        for r in 0..<p {
            for c in 0..<r { gram[r * p + c] = gram[c * p + r] }
        }
        return (gram, rhs)
    }

    /// `roots`: square roots of the row weights (rows are scaled by them, so the Gram is weighted).
    private func accumulate(
        xs: UnsafeBufferPointer<Double>, ys: UnsafeBufferPointer<Double>, roots: [Double]?, rows: Range<Int>, p: Int
    ) -> (gram: [Double], rhs: [Double]) {
        var gram = Array(repeating: 0.0, count: p * p)
        var rhs = Array(repeating: 0.0, count: p)
        guard !rows.isEmpty, p > 0 else { return (gram, rhs) }
        var block = Array(repeating: 0.0, count: Self.blockRows * p)
        var target = Array(repeating: 0.0, count: Self.blockRows)
        let inverseScales = scales.map { 1 / $0 }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let count = min(Self.blockRows, rows.upperBound - start)
            for r in 0..<count {
                let source = (start + r) * p
                let destination = r * p
                let root = roots?[start + r] ?? 1
                for c in 0..<p {
                    block[destination + c] = (xs[source + c] - means[c]) * inverseScales[c] * root
                }
                target[r] = (ys[start + r] - yMean) * root
            }
            block.withUnsafeBufferPointer { b in
                gram.withUnsafeMutableBufferPointer { g in
                    cblas_dsyrk(
                        CblasRowMajor, CblasUpper, CblasTrans, Int32(p), Int32(count), 1.0,
                        b.baseAddress, Int32(p), 1.0, g.baseAddress, Int32(p))
                }
                target.withUnsafeBufferPointer { t in
                    rhs.withUnsafeMutableBufferPointer { out in
                        cblas_dgemv(
                            CblasRowMajor, CblasTrans, Int32(count), Int32(p), 1.0, b.baseAddress, Int32(p),
                            t.baseAddress, 1, 1.0, out.baseAddress, 1)
                    }
                }
            }
            start += count
        }
        return (gram, rhs)
    }
}

private struct SharedBuffers: @unchecked Sendable {
    let out: UnsafeMutableBufferPointer<(gram: [Double], rhs: [Double])>
    let xs: UnsafeBufferPointer<Double>
    let ys: UnsafeBufferPointer<Double>
}
