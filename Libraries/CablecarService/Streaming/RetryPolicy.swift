/// Capped exponential back-off between attempts after transient failures, and how long one
/// attempt (handling a batch, publishing it, recovering) may take before it counts as failed.
public struct RetryPolicy: Sendable, Equatable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// Well above a slow batch (the pool alone waits up to 60 s for a connection before it
    /// fails), so it only ends calls that would otherwise never return.
    public var attemptTimeLimit: Duration

    public init(
        initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(15), attemptTimeLimit: Duration = .seconds(180)
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = max(initialDelay, maximumDelay)
        self.attemptTimeLimit = attemptTimeLimit
    }

    public static let standard = RetryPolicy()

    /// The wait before attempt `failures + 1`: the initial delay doubled per earlier failure,
    /// never above the maximum (and never overflowing, however many failures there were).
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = initialDelay
        for _ in 1..<min(failures, 64) {
            delay *= 2
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }
}
