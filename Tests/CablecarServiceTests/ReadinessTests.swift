import CablecarPostgres
import CablecarService
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Prometheus
import Testing

@Suite("Readiness follows the database")
struct ReadinessTests {
    @Test("/health/ready is 503 while the database is down and 200 again once it is back")
    func readinessTracksDatabase() async throws {
        let postgres = try await DedicatedPostgres.launch()
        let client = Database.client(try DatabaseConfiguration(url: postgres.url), logger: TestStack.logger)
        let router = Router()
        OperationalRoutes.add(
            to: router, service: "test", checks: [DatabaseReadiness(client: client, logger: TestStack.logger)],
            registry: PrometheusCollectorRegistry())
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await application.test(.live) { http in
                func readyStatus() async throws -> HTTPResponse.Status {
                    try await http.execute(uri: "/health/ready", method: .get) { $0.status }
                }
                func waitFor(_ status: HTTPResponse.Status) async throws -> HTTPResponse.Status {
                    let deadline = ContinuousClock.now + .seconds(30)
                    var last = try await readyStatus()
                    while last != status, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(250))
                        last = try await readyStatus()
                    }
                    return last
                }
                #expect(try await waitFor(.ok) == .ok)
                try await offThePool { try postgres.cluster.stop() }
                #expect(try await waitFor(.serviceUnavailable) == .serviceUnavailable)
                let live = try await http.execute(uri: "/health/live", method: .get) { $0.status }
                #expect(live == .ok, "liveness does not depend on the database")
                try await offThePool { try postgres.cluster.start() }
                #expect(try await waitFor(.ok) == .ok)
            }
        }
    }
}
