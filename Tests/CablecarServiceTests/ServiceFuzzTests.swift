import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

/// schemathesis (from PyPI, scripts/bootstrap) drives every operation of each service's OpenAPI
/// document against the service running as a process on the real Postgres and broker: no 5xx,
/// no crash, responses as documented, invalid input refused, wrong methods 405. The forecast
/// service has its own (with a promoted model) in CablecarForecastTests.
@Suite("Each service's API under a property-based fuzzer", .serialized)
struct ServiceFuzzTests {
    static let token = "fuzz-admin-token"

    @Test(arguments: [
        ("cablecar-ingest", "INGEST"), ("cablecar-features", "FEATURES"), ("cablecar-monitor", "MONITOR"),
        ("cablecar-trainer", "TRAINER"),
    ])
    func noServerErrorNoCrashNoSchemaViolation(service: String, variable: String) async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let city = TestStack.repositoryRoot.appendingPathComponent("Simulators/CablecarSimulation/Resources/city.json").path
        var environment = [
            "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers, "CABLECAR_HTTP_PORT": "\(port)",
            "CABLECAR_\(variable)_TOPIC_PREFIX": TestStack.uniqueName("fuzz-\(variable.lowercased())") + ".",
            "CABLECAR_\(variable)_GROUP": TestStack.uniqueName("fuzz-group"), "CABLECAR_REGISTRY_ADMIN_TOKEN": Self.token,
            "CABLECAR_LOG_LEVEL": "warning",
        ]
        if variable != "MONITOR" && variable != "TRAINER" { environment["CABLECAR_\(variable)_CITY"] = city }
        let (server, ready) = try await ServiceProcess.start(service, port: port, environment: environment)
        defer { if server.process.isRunning { server.process.terminate() } }
        #expect(ready?.status == 200, "\(service) did not become ready: \(ready?.body ?? "no answer")")

        let (status, output) = try await APIProbes.schemathesis(base: server.base, headers: ["Authorization: Bearer \(Self.token)"])
        #expect(status == 0, "\(service): schemathesis reported failures:\n\(output.suffix(6000))")
        #expect(output.contains("Tested: "), "\(output.suffix(2000))")
        #expect(server.process.isRunning, "\(service) exited during the fuzzing")
        #expect(try await server.stop() == 0)
    }
}
