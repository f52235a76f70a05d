import COpenBLAS

/// OpenBLAS splits work over threads in an order that depends on the thread count, which can
/// change the last bits of a sum. Cablecar needs bit-identical models for identical inputs, so
/// BLAS runs single-threaded; the library parallelizes over fixed row blocks itself (see
/// `GramAccumulator`), which keeps the summation order independent of the machine.
enum BLASRuntime {
    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Call before any BLAS/LAPACK work; cheap after the first call.
    static func ensureDeterministic() {
        _ = configured
    }
}
