import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// cablecar-trainer (which hosts the registry) as a process, logging at trace level: hostile
/// numbers do not take it down, wrong methods are 405, a slow client is cut off, and neither
/// the database password nor the admin token appears in anything it prints.
@Suite struct TrainerProcessHardeningTests {
    func send(_ method: String, _ url: String, _ body: String?) async throws -> (Int, String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func hostileRequestsAtTraceLevelNeitherCrashNorLeakSecrets() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let password = "pw-\(UUID().uuidString.prefix(12))"
        let token = "tok-\(UUID().uuidString.prefix(12))"
        // The test cluster trusts local connections, so the password is carried but never needed.
        let withPassword = database.replacingOccurrences(of: "://postgres@", with: "://postgres:\(password)@")
        #expect(withPassword.contains(password))
        let port = try Network.freePort()
        let logFile = try TestStack.temporaryDirectory(prefix: "trainer-trace").appendingPathComponent("out.log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = try ProductBinary.url("cablecar-trainer")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "CABLECAR_DATABASE_URL": withPassword, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
            "CABLECAR_HTTP_PORT": "\(port)", "CABLECAR_TRAINER_FEATURES_URL": "http://127.0.0.1:\(try Network.freePort())",
            "CABLECAR_TRAINER_TOPIC_PREFIX": TestStack.uniqueName("trainer-hardening") + ".",
            "CABLECAR_TRAINER_GROUP": TestStack.uniqueName("trainer-hardening-group"), "CABLECAR_LOG_LEVEL": "trace",
            "CABLECAR_REGISTRY_ADMIN_TOKEN": token, "CABLECAR_HTTP_IDLE_TIMEOUT_SECONDS": "2",
        ]) { _, new in new }
        process.standardOutput = output
        process.standardError = output
        try TestChildren.run(process)
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(90))
        #expect(ready?.status == 200, "ready answered \(ready?.body ?? "nothing")")

        for body in [
            #"{"start": -9223372036854775808, "end": 9223372036854775807}"#,
            #"{"start": 9223372036854775807, "end": 9223372036854775807, "horizons": [9223372036854775807]}"#,
            #"{"start": "NaN", "end": "Infinity"}"#,
        ] {
            let (status, answer) = try await send("POST", "\(base)/api/v1/train", body)
            #expect(status == 400, "\(body): \(answer)")
            #expect(answer.contains("\"code\""))
        }
        let (wrongMethod, _) = try await send("DELETE", "\(base)/api/v1/train", nil)
        #expect(wrongMethod == 405)
        let (mlflowWrong, _) = try await send("GET", "\(base)/api/2.0/mlflow/experiments/create", nil)
        #expect(mlflowWrong == 405)
        let (model, _) = try await send("GET", "\(base)/api/v1/models/no%20such%20model/versions/99999999999", nil)
        #expect(model == 404)

        // A half-sent request is cut off after the idle timeout (2 s here).
        let slow = try SlowClient(port: port, partialRequest: "POST /api/v1/train HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        #expect(try await slow.closedByServer(within: 10), "the server kept a stalled request open")
        #expect(process.isRunning, "no hostile request stopped the service")
        #expect(try await HTTPProbe.get("\(base)/health/live").status == 200)

        process.interrupt()
        let stopBy = Date().addingTimeInterval(20)
        while process.isRunning, Date() < stopBy { try await Task.sleep(for: .milliseconds(100)) }
        try output.close()
        let printed = try String(contentsOf: logFile, encoding: .utf8)
        #expect(printed.contains("trace") || printed.count > 10_000, "trace logging was on: \(printed.prefix(500))")
        #expect(!printed.contains(password), "the database password was printed")
        #expect(!printed.contains(token), "the admin token was printed")
    }
}
