import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

@Suite("A service executable, run as a process")
struct ServiceProcessTests {
    func launch(_ name: String, environment: [String: String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = try ProductBinary.url(name)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try TestChildren.run(process)
        return (process, errors)
    }

    @Test("a malformed variable stops the service with exit 78 and a message naming it")
    func malformedVariableExits() async throws {
        let (process, errors) = try launch("cablecar-monitor", environment: ["CABLECAR_HTTP_PORT": "eighty"])
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 78)
        #expect(message.contains("CABLECAR_HTTP_PORT is \"eighty\""))
        #expect(message.contains("expected an integer from 0 to 65535"))
    }

    @Test("the service migrates, becomes ready, serves metrics, and stops cleanly on SIGTERM")
    func readyThenGracefulShutdown() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let (process, _) = try launch(
            "cablecar-monitor",
            environment: [
                "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
                "CABLECAR_HTTP_PORT": "\(port)", "CABLECAR_LOG_FORMAT": "json",
            ])
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let live = await HTTPProbe.waitFor("\(base)/health/live", status: 200, timeout: .seconds(30))
        #expect(live?.status == 200)
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(60))
        #expect(ready?.status == 200, "ready answered \(ready?.body ?? "nothing")")
        #expect(ready?.body.contains("\"check.database\":\"up\"") == true)
        #expect(ready?.body.contains("\"check.broker\":\"up\"") == true)
        let metrics = try await HTTPProbe.get("\(base)/metrics")
        #expect(metrics.status == 200)
        process.interrupt()  // SIGINT, like Ctrl-C; SIGTERM takes the same path
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "the service did not stop within 15 s of SIGINT")
        #expect(process.terminationStatus == 0)
    }
}
