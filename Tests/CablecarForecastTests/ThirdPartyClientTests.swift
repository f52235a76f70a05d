import CablecarDomain
import CablecarKafka
import CablecarLocalStack
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

/// Real third-party clients against the cablecar-forecast process (real Postgres and broker, a
/// promoted version): schemathesis fuzzes every operation of the OpenAPI document, and the
/// Open Inference Protocol HTTP client of Triton (tritonclient) speaks KServe V2 to it. Both come
/// from PyPI through scripts/bootstrap; a machine without them fails these tests.
@Suite(.serialized) struct ThirdPartyClientTests {
    static let token = "fuzz-admin-token"
    static let modelName = "traffic-probe"

    @Test func schemathesisFindsNoServerErrorNoCrashAndNoSchemaViolation() async throws {
        try await Self.withServer { base, _ in
            let (status, output) = try await APIProbes.schemathesis(
                base: base, headers: ["Authorization: Bearer \(Self.token)"])
            #expect(status == 0, "schemathesis reported failures:\n\(output.suffix(6000))")
            #expect(output.contains("Tested: "), "\(output.suffix(2000))")
        }
    }

    @Test func theTritonHTTPClientSpeaksTheOpenInferenceProtocol() async throws {
        try await Self.withServer { base, segments in
            let script = #"""
                import json, sys
                import numpy as np
                import tritonclient.http as http
                from tritonclient.utils import InferenceServerException

                url, model, segments = sys.argv[1:4]
                segments = [s.encode() for s in segments.split(",")]
                client = http.InferenceServerClient(url=url)
                result = {"live": client.is_server_live(), "ready": client.is_server_ready(),
                          "server": client.get_server_metadata()["name"], "model_ready": client.is_model_ready(model)}
                metadata = client.get_model_metadata(model)
                result["inputs"] = sorted(i["name"] for i in metadata["inputs"])
                result["version"] = metadata["versions"][0]

                def inputs(binary):
                    ids = http.InferInput("segment_id", [2], "BYTES")
                    ids.set_data_from_numpy(np.array(segments, dtype=np.object_), binary_data=binary)
                    horizons = http.InferInput("horizon_min", [2], "INT64")
                    horizons.set_data_from_numpy(np.array([15, 60], dtype=np.int64), binary_data=binary)
                    return [ids, horizons]

                outputs = [http.InferRequestedOutput(n, binary_data=False) for n in ["speed_kmh", "flow_veh_h", "fallback", "model_version"]]
                answer = client.infer(model, inputs(False), outputs=outputs, request_id="triton-1")
                result["id"] = answer.get_response()["id"]
                result["speed_shape"] = list(answer.as_numpy("speed_kmh").shape)
                result["versions"] = sorted(set(int(v) for v in answer.as_numpy("model_version").flatten()))
                pinned = client.infer(model, inputs(False), model_version=result["version"], outputs=outputs)
                result["pinned_shape"] = list(pinned.as_numpy("flow_veh_h").shape)

                def refused(call):
                    try:
                        call()
                        return None
                    except InferenceServerException as error:
                        return [error.status(), error.message()]

                result["unknown_model"] = refused(lambda: client.infer("no-such-model", inputs(False)))
                result["unknown_version"] = refused(lambda: client.infer(model, inputs(False), model_version="999999"))
                # The binary tensor extension is not offered (server metadata lists no extensions).
                result["binary"] = refused(lambda: client.infer(model, inputs(True)))
                print(json.dumps(result))
                """#
            let host = base.replacingOccurrences(of: "http://", with: "")
            let (status, output) = try await APIProbes.run(
                APIProbes.executable("python"), ["-c", script, host, Self.modelName, segments])
            #expect(status == 0, "the tritonclient script failed:\n\(output.suffix(4000))")
            let line = output.split(separator: "\n").last.map(String.init) ?? ""
            let result = try JSONValue.parse(Array(line.utf8))
            #expect(result["live"] == .bool(true))
            #expect(result["ready"] == .bool(true))
            #expect(result["model_ready"] == .bool(true))
            #expect(result["server"]?.string == "cablecar-forecast")
            #expect(result["inputs"] == .array([.string("horizon_min"), .string("segment_id")]))
            #expect(result["id"]?.string == "triton-1", "the request id is echoed")
            #expect(result["speed_shape"] == .array([.number(2), .number(2)]), "[segments, horizons]")
            #expect(result["pinned_shape"] == .array([.number(2), .number(2)]))
            #expect(result["versions"] == .array([.number(1)]))
            for refusal in ["unknown_model", "unknown_version", "binary"] {
                let status = result[refusal]?.array?.first?.string.flatMap { Int($0) }
                #expect(status.map { (400..<500).contains($0) } == true, "\(refusal): \(String(describing: result[refusal]))")
            }
        }
    }

    /// cablecar-forecast on a fresh database with version 1 of `modelName` in production and the
    /// admin token set; `body` gets its base URL and two segments of the bundled city, comma-separated.
    static func withServer(_ body: (String, String) async throws -> Void) async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let unreachable = try Network.freePort()
        let prefix = TestStack.uniqueName("forecast-probe") + "."
        let cityPath = TestStack.repositoryRoot.appendingPathComponent("Simulators/CablecarSimulation/Resources/city.json")
        let city = try CityDefinition.load(from: cityPath)
        let segments = city.segments.prefix(2).map(\.id).joined(separator: ",")

        let client = Database.client(try DatabaseConfiguration(url: database), logger: TestStack.logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await Migrator(migrations: try Migration.bundled(), logger: TestStack.logger).migrate(client)
        let store = RegistryStore(client: client, events: nil, logger: TestStack.logger)
        _ = try await store.createRegisteredModel(name: modelName)
        let experiment = try await store.ensureExperiment(name: "probe")
        let run = try await store.createRun(experimentID: experiment.id, name: "fit")
        let version = try await store.createModelVersion(
            modelName: modelName, runID: run.id, artifactPath: "model/model.json", artifact: try RoutingTests.v1.artifact())
        _ = try await store.transition(modelName: modelName, version: version.version, to: .production, actor: "t", reason: "t")

        let (server, ready) = try await ServiceProcess.start(
            "cablecar-forecast", port: port,
            environment: [
                "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers, "CABLECAR_HTTP_PORT": "\(port)",
                "CABLECAR_FORECAST_FEATURES_URL": "http://127.0.0.1:\(unreachable)", "CABLECAR_FORECAST_TOPIC_PREFIX": prefix,
                "CABLECAR_FORECAST_GROUP": TestStack.uniqueName("forecast-probe-group"), "CABLECAR_FORECAST_CITY": cityPath.path,
                "CABLECAR_FORECAST_MODEL_NAME": modelName, "CABLECAR_REGISTRY_ADMIN_TOKEN": token, "CABLECAR_LOG_LEVEL": "warning",
            ])
        defer { if server.process.isRunning { server.process.terminate() } }
        #expect(ready?.status == 200, "\(ready?.body ?? "no answer")")

        try await body(server.base, segments)

        #expect(server.process.isRunning, "cablecar-forecast exited during the test")
        #expect(try await server.stop() == 0)
    }
}
