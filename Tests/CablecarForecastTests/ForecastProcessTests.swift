import CablecarDomain
import CablecarKafka
import CablecarLocalStack
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

/// cablecar-forecast as a process against the real Postgres and broker: not ready and 503 without
/// a production version, ready once one is promoted (learned through model.events), fallback with
/// a reason while the feature store is unreachable, clean stop on SIGINT.
@Suite struct ForecastProcessTests {
    @Test func startsServesAndStops() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let unreachable = try Network.freePort()
        let prefix = TestStack.uniqueName("forecast-process") + "."
        let cityPath = TestStack.repositoryRoot.appendingPathComponent("Simulators/CablecarSimulation/Resources/city.json")
        let city = try CityDefinition.load(from: cityPath)
        let segment = try #require(city.segments.first?.id)
        let process = Process()
        process.executableURL = try ProductBinary.url("cablecar-forecast")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers, "CABLECAR_HTTP_PORT": "\(port)",
            "CABLECAR_FORECAST_FEATURES_URL": "http://127.0.0.1:\(unreachable)", "CABLECAR_FORECAST_TOPIC_PREFIX": prefix,
            "CABLECAR_FORECAST_GROUP": TestStack.uniqueName("forecast-process-group"), "CABLECAR_FORECAST_CITY": cityPath.path,
            "CABLECAR_FORECAST_MODEL_NAME": "traffic-process", "CABLECAR_LOG_LEVEL": "warning",
        ]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestChildren.run(process)
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        // Once migrations ran and the registry was read, the answer says why there is no model.
        var waiting = ""
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline, !waiting.contains("no production version") {
            waiting = (try? await HTTPProbe.get("\(base)/v1/forecasts/\(segment)"))?.body ?? ""
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(waiting.contains("no production version"), "\(waiting)")
        #expect(try await HTTPProbe.get("\(base)/v1/forecasts/\(segment)").status == 503)
        #expect(try await HTTPProbe.get("\(base)/health/ready").status == 503)

        // Promote a version through a registry publishing to the same model.events topic.
        let client = Database.client(try DatabaseConfiguration(url: database), logger: TestStack.logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        let publisher = try KafkaModelEventPublisher(
            brokers: endpoints.kafkaBrokers, topic: "model.events", logger: TestStack.logger)
        let store = RegistryStore(client: client, events: publisher, logger: TestStack.logger)
        _ = try await store.createRegisteredModel(name: "traffic-process")
        let experiment = try await store.ensureExperiment(name: "process")
        let run = try await store.createRun(experimentID: experiment.id, name: "fit")
        let version = try await store.createModelVersion(
            modelName: "traffic-process", runID: run.id, artifactPath: "model/model.json", artifact: try RoutingTests.v1.artifact())
        _ = try await store.transition(modelName: "traffic-process", version: version.version, to: .production, actor: "t", reason: "t")
        await publisher.producer.close()

        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(60))
        #expect(ready?.status == 200, "\(ready?.body ?? "no answer")")
        let answer = try await HTTPProbe.get("\(base)/v1/forecasts/\(segment)?horizons=15")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.body.contains("\"fallback_reason\":\"features_unavailable\""), "\(answer.body)")
        #expect(try await HTTPProbe.get("\(base)/v2/health/ready").status == 200)
        #expect(try await HTTPProbe.get("\(base)/metrics").body.contains("cablecar_forecast_fallbacks_total"))

        process.interrupt()
        #expect(try await TestChildren.waitForExit(process, within: .seconds(30), "the forecast service after SIGINT") == 0)
    }
}
