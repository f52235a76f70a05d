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
        let process = Process()
        process.executableURL = try ProductBinary.url(service)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(90))
        #expect(ready?.status == 200, "\(service) did not become ready: \(ready?.body ?? "no answer")")

        let (status, output) = try await APIProbes.schemathesis(base: base, headers: ["Authorization: Bearer \(Self.token)"])
        #expect(status == 0, "\(service): schemathesis reported failures:\n\(output.suffix(6000))")
        #expect(output.contains("Tested: "), "\(output.suffix(2000))")
        #expect(process.isRunning, "\(service) exited during the fuzzing")

        process.interrupt()
        let stopBy = Date().addingTimeInterval(30)
        while process.isRunning, Date() < stopBy { try await Task.sleep(for: .milliseconds(100)) }
        #expect(process.terminationStatus == 0)
    }
}
