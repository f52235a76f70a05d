import Synchronization

/// Whether a consuming pipeline has a batch in flight and whether a stop was asked for, so that
/// a stop never cuts a batch in half: the batch is committed and flushed, then the loop ends.
public final class BatchLifecycle: Sendable {
    private struct State {
        var inFlight = false
        var stopping = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Returns true when the pipeline is idle and the caller should close the consumer now.
    public func requestStop() -> Bool {
        state.withLock { state in
            state.stopping = true
            return !state.inFlight
        }
    }

    /// Returns false when a stop was requested: do not start the batch.
    public func begin() -> Bool {
        state.withLock { state in
            if state.stopping { return false }
            state.inFlight = true
            return true
        }
    }

    /// Returns true when the loop should stop after this batch.
    @discardableResult
    public func end() -> Bool {
        state.withLock { state in
            state.inFlight = false
            return state.stopping
        }
    }
}
