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
    /// How many refusals in a row make an outage.
    public var downAnswers: Int { streak.refusals }
    /// How many answers in a row that were not "up" make an outage when they were not all
    /// refusals (a dependency that only fell silent): a slow answer from a busy machine is not one.
    public var silentAnswers: Int { streak.silences }
    /// How long the dependency must be back before an attempt still running is given up.
    public let grace: Duration
    let streak: DownStreak
    let ask: @Sendable () async -> DependencyAnswer

    public init(
        interval: Duration = .seconds(2), downAnswers: Int = 3, silentAnswers: Int = 12, grace: Duration = .seconds(15),
        ask: @escaping @Sendable () async -> DependencyAnswer
    ) {
        self.interval = interval
        self.streak = DownStreak(refusals: downAnswers, silences: silentAnswers)
        self.grace = grace
        self.ask = ask
    }

    /// The database, asked with `SELECT 1` on a connection of its own, 3 s to answer; two
    /// refusals in a row are an outage, and so are twelve answers in a row that did not come
    /// (about a minute of silence). Measured through the pool instead (5 s to answer, three
    /// answers), a 15-second outage went unseen: a ping waited in the pool's queue for its whole
    /// timeout, so the outage gave only two answers, and ingest's lost call waited out its
    /// 180-second limit. On a connection of its own, a server that is down refuses at once, and a
    /// busy pool cannot make a live server look down. Silence counts only in a long run because a
    /// machine starved of CPU made a live server miss its limit twice in a row.
    public static func database(_ configuration: DatabaseConfiguration, logger: Logger) -> OutageWatch {
        OutageWatch(downAnswers: 2) { await databaseAnswer(configuration, within: .seconds(3), logger: logger) }
    }

    /// What the database says to `SELECT 1` on a connection of its own within `limit` (the connect
    /// included): the question both this watch and `DatabaseOutageMiddleware` ask.
    public static func databaseAnswer(_ configuration: DatabaseConfiguration, within limit: Duration, logger: Logger) async
        -> DependencyAnswer
    {
        do {
            try await withTimeLimit(limit, "a database ping") {
                try await Database.askOnOwnConnection(configuration, connectTimeout: limit, logger: logger)
            }
            return .up
        } catch is TimeLimitExceeded {
            return .silent
        } catch {
            switch ConnectFailure(error) {
            case .serverAnswered: return .up
            case .refused: return .down
            case .noAnswer: return .silent
            }
        }
    }

    /// Returns once the dependency has been down and then back for `grace`; while it stays up
    /// it waits until cancelled (and then throws `CancellationError`).
    func outageEnded() async throws {
        var streak = self.streak
        var outage = false
        var backSince: ContinuousClock.Instant?
        while true {
            try await Task.sleep(for: interval)
            let answer = await ask()
            if streak.record(answer) { outage = true }
            if answer == .up {
                guard outage else { continue }
                let since = backSince ?? .now
                backSince = since
                if ContinuousClock.now - since >= grace { return }
            } else {
                backSince = nil
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
