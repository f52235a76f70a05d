/// The decisions of a `StreamWorker`, free of I/O: the worker reports what happened and acts on
/// what comes back (close the source now, retry after a delay, exit). Unit-tested on its own.
public struct StreamWorkerState: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Before the first successful `recover` (state loaded, outbox sent).
        case starting
        case consuming
        /// After a transient failure, until `recover` succeeds again.
        case recovering
        case stopped
    }

    public enum StopAction: Sendable, Equatable {
        /// Nothing in flight: close the source now, which ends the wait for the next batch.
        case closeNow
        /// A batch is being handled or published: the loop stops after it.
        case afterBatch
        /// A stop was requested before.
        case none
    }

    public enum FailureAction: Sendable, Equatable {
        /// Recover (reconnect, reload state) after the delay, then handle every batch that is
        /// not marked processed again.
        case retry(after: Duration)
        /// A failure no retry can fix: abandon the source (nothing more is committed) and exit.
        case exit
        /// A stop was requested (or the task cancelled): end without treating this as a failure.
        case stop
    }

    public let retry: RetryPolicy
    public private(set) var phase: Phase = .starting
    public private(set) var stopRequested = false
    public private(set) var handling = false
    public private(set) var publishing = false
    /// Failures since the last batch that went through; drives the back-off.
    public private(set) var consecutiveFailures = 0
    public private(set) var lastFailure: String?
    /// When the batch being handled, and the publish in flight, started: a batch that takes
    /// longer than `stallLimit` (a database that stopped answering without an error yet) is
    /// no progress, and readiness says so.
    public private(set) var handlingSince: ContinuousClock.Instant?
    public private(set) var publishingSince: ContinuousClock.Instant?
    public let stallLimit: Duration

    public init(retry: RetryPolicy = .standard, stallLimit: Duration = .seconds(10)) {
        self.retry = retry
        self.stallLimit = stallLimit
    }

    public mutating func requestStop() -> StopAction {
        guard !stopRequested else { return .none }
        stopRequested = true
        return handling || publishing ? .afterBatch : .closeNow
    }

    /// Before a batch (or an idle tick) is handled: false when the loop should stop instead.
    public mutating func beginBatch(now: ContinuousClock.Instant = .now) -> Bool {
        guard !stopRequested, phase != .stopped else { return false }
        handling = true
        handlingSince = now
        return true
    }

    /// The batch's transaction committed; `publishing` tells whether its publish still runs.
    /// Returns true when the loop should stop now (it then awaits that publish and closes).
    public mutating func batchHandled(publishing: Bool, now: ContinuousClock.Instant = .now) -> Bool {
        handling = false
        handlingSince = nil
        self.publishing = publishing
        publishingSince = publishing ? now : nil
        consecutiveFailures = 0
        lastFailure = nil
        return stopRequested
    }

    /// A publish beside the next batch ended. Returns true when the loop should stop now.
    public mutating func publishFinished() -> Bool {
        publishing = false
        publishingSince = nil
        return stopRequested && !handling
    }

    public mutating func failed(_ verdict: FailureClassifier.Verdict, description: String) -> FailureAction {
        handling = false
        publishing = false
        handlingSince = nil
        publishingSince = nil
        switch verdict {
        case .cancelled:
            return .stop
        case .permanent:
            phase = .stopped
            lastFailure = description
            return .exit
        case .transient:
            lastFailure = description
            if stopRequested { return .stop }
            consecutiveFailures += 1
            phase = .recovering
            return .retry(after: retry.delay(afterFailures: consecutiveFailures))
        }
    }

    /// `recover` succeeded: batches may be handled again (the back-off keeps growing until one
    /// goes through).
    public mutating func recovered() {
        if phase != .stopped { phase = .consuming }
    }

    public mutating func stopped() {
        phase = .stopped
        handling = false
        publishing = false
        handlingSince = nil
        publishingSince = nil
    }

    /// Ready when consuming (not starting, recovering or stopped), making progress (no batch or
    /// publish in flight for longer than `stallLimit`) and the group has given this member its
    /// partitions: none is "idle by design" (more members than partitions), while joining after
    /// a start or restart, or rebalancing, is not ready.
    public func isReady(hasSettledAssignment: Bool, now: ContinuousClock.Instant = .now) -> Bool {
        notReadyReason(hasSettledAssignment: hasSettledAssignment, now: now) == nil
    }

    /// Why the worker is not ready (nil: it is), for logs and readiness answers.
    public func notReadyReason(hasSettledAssignment: Bool, now: ContinuousClock.Instant = .now) -> String? {
        switch phase {
        case .starting: return "starting"
        case .recovering: return "retrying after: \(lastFailure ?? "a failure")"
        case .stopped: return "stopped"
        case .consuming:
            if stopRequested { return "stopping" }
            if let since = [handlingSince, publishingSince].compactMap({ $0 }).min(), now - since > stallLimit {
                return "a batch has been in flight for more than \(stallLimit)"
            }
            return hasSettledAssignment ? nil : "waiting for the consumer group to assign partitions"
        }
    }
}
