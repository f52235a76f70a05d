import CablecarPostgres
import Logging

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
    let isUp: @Sendable () async -> Bool

    public init(
        interval: Duration = .seconds(2), downAnswers: Int = 3, grace: Duration = .seconds(15),
        isUp: @escaping @Sendable () async -> Bool
    ) {
        self.interval = interval
        self.downAnswers = max(1, downAnswers)
        self.grace = grace
        self.isUp = isUp
    }

    /// The database, asked with `SELECT 1` on a connection of the watch's own, 3 s to answer;
    /// two such answers in a row that failed are an outage. Measured through the pool instead
    /// (5 s to answer, three answers), a 15-second outage went unseen: a ping waited in the
    /// pool's queue for its whole timeout, so the outage gave only two answers, and ingest's lost
    /// call waited out its 180-second limit. On a connection of its own, a server that is down
    /// refuses at once, and a busy pool cannot make a live server look down.
    public static func database(_ configuration: DatabaseConfiguration, logger: Logger) -> OutageWatch {
        OutageWatch(downAnswers: 2) { await databaseAnswers(configuration, within: .seconds(3), logger: logger) }
    }

    /// Whether the database answers `SELECT 1` on a connection of its own within `limit` (the
    /// connect included): the question both this watch and `DatabaseOutageMiddleware` ask.
    public static func databaseAnswers(_ configuration: DatabaseConfiguration, within limit: Duration, logger: Logger) async -> Bool {
        let answered: Void? = try? await withTimeLimit(limit, "a database ping") {
            try await Database.askOnOwnConnection(configuration, connectTimeout: limit, logger: logger)
        }
        return answered != nil
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
