import CablecarPostgres
import CablecarService
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite("Routes answer 503 while the database is down")
struct DatabaseOutageMiddlewareTests {
    /// A route waiting on the pool for a connection while the database is down answers 503 within
    /// seconds (the pool alone keeps it waiting until the database is back, or a minute), a slow
    /// route on a live database is not cut short, and routes answer again once it is back.
    @Test func aRouteWaitingOnADownDatabaseAnswers503() async throws {
        let postgres = try await DedicatedPostgres.launch()
        let configuration = try DatabaseConfiguration(url: postgres.url)
        let client = Database.client(configuration, logger: TestStack.logger)
        let router = Router()
        router.add(middleware: UnhandledErrorMiddleware(logger: TestStack.logger))
        router.add(middleware: DatabaseOutageMiddleware(database: configuration, logger: TestStack.logger))
        router.get("/query") { _, _ -> String in
            try await client.query("SELECT 1", logger: TestStack.logger)
            return "answered"
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(5))
            return "answered"
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await application.test(.live) { http in
                func get(_ path: String) async throws -> (status: HTTPResponse.Status, body: String, seconds: Double) {
                    let started = ContinuousClock.now
                    return try await http.execute(uri: path, method: .get) { response in
                        let elapsed = (ContinuousClock.now - started).components
                        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                        return (response.status, String(buffer: response.body), seconds)
                    }
                }
                #expect(try await get("/query").status == .ok)
                let slow = try await get("/slow")
                #expect(slow.status == .ok, "a slow route on a live database is not cut short: \(slow.body)")

                try await offThePool { try postgres.cluster.stop() }
                // A query on the pool's old connection may fail at once (a 503 of its own); once the
                // pool has lost it, a lease waits for a connection that cannot be made.
                var outage = try await get("/query")
                for _ in 0..<3 where !outage.body.contains("which is not answering") { outage = try await get("/query") }
                #expect(outage.status == .serviceUnavailable, "\(outage.body)")
                #expect(outage.body.contains("database_unavailable") && outage.body.contains("which is not answering"), "\(outage.body)")
                #expect(outage.seconds < 20, "answered after \(outage.seconds) s")

                try await offThePool { try postgres.cluster.start() }
                let deadline = ContinuousClock.now + .seconds(60)
                var back = try await get("/query")
                while back.status != .ok, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    back = try await get("/query")
                }
                #expect(back.status == .ok, "routes answer once the database is back: \(back.body)")
            }
        }
    }

    /// The middleware itself, with a database that never answers: a route that ignores the
    /// database but outlives the patience while the database is down is cancelled and answered
    /// 503; a fast route is not.
    @Test func theWatchStartsOnlyAfterThePatience() async throws {
        let router = Router()
        router.add(middleware: UnhandledErrorMiddleware(logger: TestStack.logger))
        router.add(
            middleware: DatabaseOutageMiddleware(patience: .milliseconds(300), interval: .milliseconds(100), downAnswers: 2) { .down })
        router.get("/fast") { _, _ in "fast" }
        // Far longer than the test client waits (20 s): any answer it gets is the watch's.
        router.get("/stuck") { _, _ -> String in
            try await Task.sleep(for: .seconds(600))
            return "never"
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { http in
            let fast = try await http.execute(uri: "/fast", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(fast.0 == .ok && fast.1 == "fast")
            // No wall-clock bound: with the route asleep for 10 minutes, a 503 within the client's
            // 20 s is the watch's; a starved CI pool once took 20 s for the 0.5 s this takes alone.
            let stuck = try await http.execute(uri: "/stuck", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(stuck.0 == .serviceUnavailable)
            #expect(stuck.1.contains("which is not answering; retry once"), "\(stuck.1)")
        }
    }

    /// Scoped to some routes (forecast serving's admin routes), the middleware watches those and
    /// lets every other route run as long as it takes, down database or not.
    @Test func aScopedWatchCoversOnlyItsRoutes() async throws {
        let router = Router()
        router.add(middleware: UnhandledErrorMiddleware(logger: TestStack.logger))
        router.add(
            middleware: DatabaseOutageMiddleware(
                patience: .milliseconds(200), interval: .milliseconds(100), downAnswers: 2, routes: .under(["/v1/admin/"])
            ) { .down })
        router.post("/v1/admin/rollout") { _, _ -> String in
            try await Task.sleep(for: .seconds(600))
            return "never"
        }
        router.get("/v1/forecasts") { _, _ -> String in
            try await Task.sleep(for: .seconds(1))
            return "forecast"
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { http in
            let forecast = try await http.execute(uri: "/v1/forecasts", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(forecast.0 == .ok && forecast.1 == "forecast", "a route outside the scope is not watched: \(forecast.1)")
            let admin = try await http.execute(uri: "/v1/admin/rollout", method: .post) { ($0.status, String(buffer: $0.body)) }
            #expect(admin.0 == .serviceUnavailable, "\(admin.1)")
            #expect(admin.1.contains("database_unavailable"), "\(admin.1)")
        }
        #expect(DatabaseRoutes.all.contains(path: "/anything") && !DatabaseRoutes.none.contains(path: "/v1/admin/rollout"))
    }
}
