import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// cablecar-trainer as a process: its HTTP API, and a request that fails (the feature store is
/// unreachable) recorded with its reason while the service stays up.
@Suite struct TrainerProcessTests {
    func post(_ url: String, _ body: String) async throws -> (Int, String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func theTrainAPIQueuesValidatesAndReportsAFailedRequestWithItsReason() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let unreachable = try Network.freePort()
        let process = Process()
        process.executableURL = try ProductBinary.url("cablecar-trainer")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
            "CABLECAR_HTTP_PORT": "\(port)", "CABLECAR_TRAINER_FEATURES_URL": "http://127.0.0.1:\(unreachable)",
            // A feature store that never comes: the request fails after 3 s of waiting for it.
            "CABLECAR_TRAINER_FEATURES_PATIENCE_S": "3",
            "CABLECAR_TRAINER_TOPIC_PREFIX": TestStack.uniqueName("trainer-process") + ".",
            "CABLECAR_TRAINER_GROUP": TestStack.uniqueName("trainer-process-group"), "CABLECAR_LOG_LEVEL": "warning",
        ]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestChildren.run(process)
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(90))
        #expect(ready?.status == 200, "ready answered \(ready?.body ?? "nothing")")

        let (badStatus, badBody) = try await post("\(base)/api/v1/train", #"{"start": 1741564800000, "end": 1740960000000}"#)
        #expect(badStatus == 400)
        #expect(badBody.contains("end must be after start"))
        let (garbageStatus, garbageBody) = try await post("\(base)/api/v1/train", "not json")
        #expect(garbageStatus == 400)
        #expect(garbageBody.contains("not JSON"))

        let body = #"{"request_id": "api-1", "start": 1740960000000, "end": 1741564800000, "horizons": [15, 60]}"#
        let (status, answer) = try await post("\(base)/api/v1/train", body)
        #expect(status == 202, "\(answer)")
        #expect(answer.contains("\"request_id\":\"api-1\""))
        let (again, againBody) = try await post("\(base)/api/v1/train", body)
        #expect(again == 200)
        #expect(againBody.contains("\"queued\":false"))

        var final = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let current = try await HTTPProbe.get("\(base)/api/v1/train/api-1")
            if current.body.contains("\"state\":\"failed\"") || current.body.contains("\"state\":\"succeeded\"") {
                final = current.body
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(final.contains("\"state\":\"failed\""), "\(final)")
        #expect(final.contains("feature store"), "the reason names what failed: \(final)")
        #expect(try await HTTPProbe.get("\(base)/api/v1/train/nope").status == 404)
        #expect(process.isRunning, "a failed request does not stop the service")
        // The hosted registry saw the failed run.
        #expect(try await HTTPProbe.get("\(base)/health/live").status == 200)

        process.interrupt()
        #expect(try await TestChildren.waitForExit(process, within: .seconds(20), "the trainer after SIGINT") == 0)
    }
}
