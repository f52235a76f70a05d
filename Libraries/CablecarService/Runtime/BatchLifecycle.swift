import Foundation

/// Whether a consuming pipeline has a batch in flight and whether a stop was asked for, so that
/// a stop never cuts a batch in half: the batch is committed and flushed, then the loop ends.
public final class BatchLifecycle: @unchecked Sendable {
    private let lock = NSLock()
    private var inFlight = false
    private var stopping = false

    public init() {}

    /// Returns true when the pipeline is idle and the caller should close the consumer now.
    public func requestStop() -> Bool {
        lock.withLock {
            stopping = true
            return !inFlight
        }
    }

    /// Returns false when a stop was requested: do not start the batch.
    public func begin() -> Bool {
        lock.withLock {
            if stopping { return false }
            inFlight = true
            return true
        }
    }

    /// Returns true when the loop should stop after this batch.
    @discardableResult
    public func end() -> Bool {
        lock.withLock {
            inFlight = false
            return stopping
        }
    }
}
