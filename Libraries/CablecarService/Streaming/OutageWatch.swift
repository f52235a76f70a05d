import Logging
import PostgresNIO

/// Watches a dependency while an attempt runs. Once the dependency was seen down and has been
/// back for `grace`, an attempt still running is waiting on a call the outage lost, and is given
/// up so that it is retried at once instead of at its time limit. Measured: after the database
/// was killed and restarted, a stream's idle tick waited for a connection the pool never handed
/// over until its 180-second limit, though new queries went through a second after the restart.
public struct OutageWatch: Sendable {
    /// What the dependency said when asked.
    public enum Answer: Sendable, Equatable {
        case up
        /// It failed to answer: refused, unreachable, the pool's "cannot connect" breaker.
        case down
        /// No answer in time: a busy pool looks like this too, so it counts for nothing.
        case silent
    }

    /// How often the dependency is asked while an attempt runs.
    public let interval: Duration
    /// How many "down" answers in a row make an outage.
    public let downAnswers: Int
    /// How long the dependency must be back before an attempt still running is given up.
    public let grace: Duration
    private let ask: @Sendable () async -> Answer

    public init(
        interval: Duration = .seconds(2), downAnswers: Int = 3, grace: Duration = .seconds(15),
        ask: @escaping @Sendable () async -> Answer
    ) {
        self.interval = interval
        self.downAnswers = max(1, downAnswers)
        self.grace = grace
        self.ask = ask
    }

    /// The database, asked with `SELECT 1` (5 s to answer).
    public static func database(_ client: PostgresClient, logger: Logger) -> OutageWatch {
        OutageWatch {
            await withTaskGroup(of: Answer.self) { group in
                group.addTask {
                    do {
                        try await client.query("SELECT 1", logger: logger)
                        return .up
                    } catch {
                        return .down
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    return .silent
                }
                let first = await group.next() ?? .silent
                group.cancelAll()
                return first
            }
        }
    }

    /// Returns once the dependency has been down and then back for `grace`; while it stays up
    /// it waits until cancelled (and then throws `CancellationError`).
    func outageEnded() async throws {
        var downInARow = 0
        var outage = false
        var backSince: ContinuousClock.Instant?
        while true {
            try await Task.sleep(for: interval)
            switch await ask() {
            case .up:
                downInARow = 0
                guard outage else { continue }
                let since = backSince ?? .now
                backSince = since
                if ContinuousClock.now - since >= grace { return }
            case .down:
                downInARow += 1
                backSince = nil
                if downInARow >= downAnswers { outage = true }
            case .silent:
                continue
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
