import CablecarPostgres
import Logging
import PostgresNIO

/// Watches a dependency while an attempt runs. Once the dependency was seen down and has been
/// back for `grace`, an attempt still running is waiting on a call the outage lost, and is given
/// up so that it is retried at once instead of at its time limit. Measured: after the database
/// was killed and restarted, a stream's idle tick waited for a connection the pool never handed
/// over until its 180-second limit, though new queries went through a second after the restart.
public struct OutageWatch: Sendable {
    /// How often the dependency is asked while an attempt runs.
    public let interval: Duration
    /// How many answers in a row must say "down" before it counts as an outage (a slow answer
    /// from a busy pool is not one).
    public let downAnswers: Int
    /// How long the dependency must be back before an attempt still running is given up.
    public let grace: Duration
    private let isUp: @Sendable () async -> Bool

    public init(
        interval: Duration = .seconds(2), downAnswers: Int = 3, grace: Duration = .seconds(15),
        isUp: @escaping @Sendable () async -> Bool
    ) {
        self.interval = interval
        self.downAnswers = max(1, downAnswers)
        self.grace = grace
        self.isUp = isUp
    }

    /// The database, asked with `SELECT 1` (5 s to answer).
    public static func database(_ client: PostgresClient, logger: Logger) -> OutageWatch {
        OutageWatch { await Database.ping(client, timeout: .seconds(5), logger: logger) }
    }

    /// Returns once the dependency has been down and then back for `grace`; while it stays up
    /// it waits until cancelled (and then throws `CancellationError`).
    func outageEnded() async throws {
        var downInARow = 0
        var outage = false
        var backSince: ContinuousClock.Instant?
        while true {
            try await Task.sleep(for: interval)
            if await isUp() {
                downInARow = 0
                guard outage else { continue }
                let since = backSince ?? .now
                backSince = since
                if ContinuousClock.now - since >= grace { return }
            } else {
                downInARow += 1
                backSince = nil
                if downInARow >= downAnswers { outage = true }
            }
        }
    }
}

/// An attempt still running `grace` after an outage it lived through had ended: it waits on a
/// call that will never answer. Transient: the attempt is retried.
public struct AttemptOutlivedOutage: Error, CustomStringConvertible {
    public let what: String
    public let grace: Duration

    public var description: String {
        "\(what) was still waiting \(grace) after the database came back from an outage; it was cancelled and is retried (a call lost in the outage)"
    }
}
