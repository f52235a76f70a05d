import Synchronization

/// Asks a fit that runs on a thread of its own (seconds to a minute of work, off the cooperative
/// pool) to stop: the awaiting task's cancellation sets it, and the fit checks it between steps
/// (a tree, a model cell) and stops with `CancellationError`. A service shutting down mid-fit
/// then stops within a step instead of running on past its grace period.
public final class FitCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Throws `CancellationError` once cancelled.
    public func check() throws {
        if isCancelled { throw CancellationError() }
    }
}
