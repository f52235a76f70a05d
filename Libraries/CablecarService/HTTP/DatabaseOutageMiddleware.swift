import CablecarPostgres
import Hummingbird
import Logging
import Metrics

/// Answers 503 `database_unavailable` for a request whose route is still running while the
/// database is down, instead of letting it wait: the connection pool keeps a query's lease waiting
/// until the database is back or its circuit breaker trips a minute later, so during an outage a
/// client otherwise got no answer at all within its own timeout.
///
/// A route that answers within `patience` costs nothing more. After that the database is asked on
/// a connection of its own (a server that is down refuses at once; a busy pool cannot make a live
/// one look down), every `interval`; `downAnswers` refusals in a row, or `silentAnswers` answers
/// in a row that did not come, cancel the route, which gives up its lease, and the client is told
/// to retry. A slow route on a live database is never cut short. Routes outside `routes` (`DatabaseRoutes`) pass straight through: the watch's task
/// group per request is not free for routes that answer from memory.
public struct DatabaseOutageMiddleware<Context: RequestContext>: RouterMiddleware {
    let patience: Duration
    let interval: Duration
    let streak: DownStreak
    let routes: DatabaseRoutes
    let ask: @Sendable () async -> DependencyAnswer

    private static var answeredUnavailable: Counter { Counter(label: "cablecar_http_database_outage_answers_total") }

    public init(
        patience: Duration = .seconds(2), interval: Duration = .seconds(1), downAnswers: Int = 2, silentAnswers: Int = 4,
        routes: DatabaseRoutes = .all, ask: @escaping @Sendable () async -> DependencyAnswer
    ) {
        self.patience = patience
        self.interval = interval
        self.streak = DownStreak(refusals: downAnswers, silences: silentAnswers)
        self.routes = routes
        self.ask = ask
    }

    /// Asks `configuration`'s database with `SELECT 1` on a connection of its own, 2 s to answer.
    public init(database configuration: DatabaseConfiguration, routes: DatabaseRoutes = .all, logger: Logger) {
        self.init(routes: routes) { await OutageWatch.databaseAnswer(configuration, within: .seconds(2), logger: logger) }
    }

    private enum Outcome: Sendable {
        case answered(Response)
        case databaseDown
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard routes.contains(path: request.uri.path) else { return try await next(request, context) }
        let outcome = try await withoutActuallyEscaping(next) { next in
            let route = Handover(value: next)
            return try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask { .answered(try await route.value(request, context)) }
                group.addTask { try await watchDatabase() }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw CancellationError() }
                return first
            }
        }
        switch outcome {
        case .answered(let response):
            return response
        case .databaseDown:
            Self.answeredUnavailable.increment()
            throw ServiceError(
                .serviceUnavailable, code: "database_unavailable",
                "\(request.method) \(request.uri.path) needs the database, which is not answering; retry once /health/ready reports ready")
        }
    }

    /// Returns `.databaseDown` once the database's answers, asked from `patience` on, make an
    /// outage (`DownStreak`); runs until cancelled while it answers.
    private func watchDatabase() async throws -> Outcome {
        try await Task.sleep(for: patience)
        var streak = self.streak
        while true {
            if streak.record(await ask()) { return .databaseDown }
            try await Task.sleep(for: interval)
        }
    }
}

/// Hands the route's `next` to the task group's child: that child alone calls it while this task
/// waits on the group, so no two tasks use it at once although its type is not `Sendable`.
private struct Handover<Value>: @unchecked Sendable {
    let value: Value
}
