import Synchronization

/// Asks a fit that runs on a thread of its own (seconds to a minute of work, off the cooperative
/// pool) to stop: the awaiting task's cancellation sets it, and the fit checks it between steps
/// (a tree, a model cell) and stops with `CancellationError`. A service shutting down mid-fit
/// then stops within a step instead of running on past its grace period.
public final class FitCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)
    /// Checks left before it cancels itself; 0: never.
    private let countdown: Atomic<Int>

    public init() { countdown = Atomic(0) }

    /// Cancels itself at its `checks`-th check: how a test stops a fit part of the way through
    /// on any machine, where a delay measured against the fit's own duration depends on the load.
    init(cancellingAtCheck checks: Int) { countdown = Atomic(max(1, checks)) }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Throws `CancellationError` once cancelled.
    public func check() throws {
        if countdown.load(ordering: .relaxed) > 0, countdown.subtract(1, ordering: .relaxed).newValue == 0 { cancel() }
        if isCancelled { throw CancellationError() }
    }
}
