/// Waiting out a peer that is away for a moment (a broker or a feature store restarting): a
/// call that fails with an error the peer's return fixes is made again after a back-off (1 s,
/// doubling to 15 s) until `limit` has passed; any other error, and the last one once patience
/// runs out, is the caller's. One policy, so a simulator and a service wait alike.
public struct Patience: Sendable {
    public let limit: Duration
    public let firstDelay: Duration
    public let longestDelay: Duration

    public init(_ limit: Duration, firstDelay: Duration = .seconds(1), longestDelay: Duration = .seconds(15)) {
        self.limit = limit
        self.firstDelay = firstDelay
        self.longestDelay = longestDelay
    }

    /// Runs `call` until it succeeds. `isTransient` says which errors are worth waiting out;
    /// `willRetry` hears each of them with the delay before the next try (for a log line).
    public func run<T>(
        _ call: () async throws -> T,
        isTransient: (any Error) -> Bool,
        willRetry: (_ error: any Error, _ delay: Duration) -> Void
    ) async throws -> T {
        let giveUpAt = ContinuousClock.now + limit
        var delay = firstDelay
        while true {
            do {
                return try await call()
            } catch let error where isTransient(error) && ContinuousClock.now + delay < giveUpAt {
                willRetry(error, delay)
                try await Task.sleep(for: delay)
                delay = min(delay * 2, longestDelay)
            }
        }
    }
}
