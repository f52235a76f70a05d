import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

@Suite("Registry HTTP API")
struct RegistryHTTPTests {
    static func app(_ h: RegistryHarness, token: String?, maxRequestBytes: Int = 1 << 20) -> some ApplicationProtocol {
        let router = Router()
        RegistryRoutes.add(
            to: router, store: h.store, configuration: RegistryHTTPConfiguration(adminToken: token, maxRequestBytes: maxRequestBytes),
            logger: TestStack.logger)
        return Application(router: router)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        let data = Data(response.body.readableBytesView)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    @Test func errorsUseMLflowsFormatAndStatus() async throws {
        try await RegistryHarness.with { h in
            try await Self.app(h, token: nil, maxRequestBytes: 2048).test(.router) { client in
                try await client.execute(uri: "/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope", method: .get) { response in
                    #expect(response.status == .notFound)
                    let body = try Self.json(response)
                    #expect(body["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")
                    #expect((body["message"] as? String)?.contains("nope") == true)
                }
                try await client.execute(
                    uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: Self.jsonHeaders, body: try Self.body([:])
                ) { response in
                    #expect(response.status == .badRequest)
                    let errorCode = try Self.json(response)["error_code"] as? String
                    #expect(errorCode == "INVALID_PARAMETER_VALUE")
                }
                try await client.execute(
                    uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: Self.jsonHeaders, body: try Self.body(["name": "x"])
                ) { response in
                    #expect(response.status == .ok)
                    let experimentID = try Self.json(response)["experiment_id"] as? String
                    #expect(experimentID != nil)
                }
                try await client.execute(
                    uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: Self.jsonHeaders, body: try Self.body(["name": "x"])
                ) { response in
                    #expect(response.status == .badRequest)
                    let errorCode = try Self.json(response)["error_code"] as? String
                    #expect(errorCode == "RESOURCE_ALREADY_EXISTS")
                }
                let big = try Self.body(["name": String(repeating: "y", count: 4096)])
                try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, headers: Self.jsonHeaders, body: big) {
                    response in
                    #expect(response.status == .contentTooLarge)
                }
                try await client.execute(uri: "/api/2.0/mlflow/runs/get?run_id=0123456789abcdef0123456789abcdef", method: .get) {
                    response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    /// An MLflow endpoint the registry does not implement answers in MLflow's error shape, naming
    /// itself, so the stock client's exception says what is missing (model outputs, traces, and
    /// whatever a newer client calls).
    @Test func anEndpointTheRegistryLacksSaysSoInMLflowsShape() async throws {
        try await RegistryHarness.with { h in
            try await Self.app(h, token: nil).test(.router) { client in
                for (method, path) in [
                    (HTTPRequest.Method.post, "/api/2.0/mlflow/runs/log-outputs"), (.get, "/api/2.0/mlflow/traces"),
                    (.post, "/api/2.0/mlflow/runs/log-model"), (.patch, "/api/2.0/mlflow/some/future/endpoint"),
                    (.post, "/api/3.0/mlflow/traces"),
                ] {
                    try await client.execute(uri: path, method: method, headers: Self.jsonHeaders, body: try Self.body(["run_id": "x"])) {
                        response in
                        #expect(response.status == .notFound, "\(method) \(path)")
                        let body = try Self.json(response)
                        #expect(body["error_code"] as? String == "ENDPOINT_NOT_FOUND", "\(method) \(path): \(body)")
                        #expect((body["message"] as? String)?.contains(String(path.dropFirst("/api/2.0/mlflow".count))) == true, "\(body)")
                    }
                }
            }
        }
    }

    @Test func adminActionsNeedTheBearerToken() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "guarded")
            for _ in 0..<2 { _ = try await h.store.createModelVersion(modelName: "guarded", runID: run.id, artifactPath: "model") }
            let transition = try Self.body(["stage": "production", "reason": "gates passed"])
            let mlflowTransition = try Self.body(["name": "guarded", "version": "2", "stage": "Production"])
            // No token configured on the server: refused with a message naming the variable.
            try await Self.app(h, token: nil).test(.router) { client in
                try await client.execute(
                    uri: "/api/v1/models/guarded/versions/1/transition", method: .post, headers: [.authorization: "Bearer anything"],
                    body: transition
                ) { response in
                    #expect(response.status == .forbidden)
                    // The native routes answer in the one error shape (docs/schemas.md, "HTTP errors").
                    let message = try Self.json(response)["error"] as? String
                    #expect(message?.contains("CABLECAR_REGISTRY_ADMIN_TOKEN") == true)
                }
            }
            try await Self.app(h, token: "s3cret").test(.router) { client in
                try await client.execute(uri: "/api/v1/models/guarded/versions/1/transition", method: .post, body: transition) { response in
                    #expect(response.status == .unauthorized)
                    let errorCode = try Self.json(response)["code"] as? String
                    #expect(errorCode == "unauthenticated")
                }
                try await client.execute(
                    uri: "/api/v1/models/guarded/versions/1/transition", method: .post, headers: [.authorization: "Bearer wrong"],
                    body: transition
                ) { response in
                    #expect(response.status == .forbidden)
                }
                try await client.execute(uri: "/api/2.0/mlflow/model-versions/transition-stage", method: .post, body: mlflowTransition) {
                    response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(
                    uri: "/api/v1/models/guarded/rollback", method: .post, body: try Self.body(["version": 1, "reason": "r"])
                ) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(
                    uri: "/api/2.0/mlflow/model-versions/delete", method: .delete, body: try Self.body(["name": "guarded", "version": "2"])
                ) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/api/2.0/mlflow/runs/delete", method: .post, body: try Self.body(["run_id": run.id])) {
                    response in
                    #expect(response.status == .unauthorized)
                }
                #expect(try await h.store.versions(modelName: "guarded").count == 2)
                #expect(try await h.store.versions(modelName: "guarded", stage: .production).isEmpty)

                var headers: HTTPFields = [.authorization: "Bearer s3cret"]
                headers[HTTPField.Name("X-Cablecar-Actor")!] = "carol"
                try await client.execute(
                    uri: "/api/v1/models/guarded/versions/1/transition", method: .post, headers: headers, body: transition
                ) { response in
                    #expect(response.status == .ok)
                    let version = try JSONDecoder().decode(ModelVersion.self, from: Data(response.body.readableBytesView))
                    #expect(version.stage == .production)
                }
                try await client.execute(
                    uri: "/api/2.0/mlflow/model-versions/transition-stage", method: .post, headers: headers, body: mlflowTransition
                ) { response in
                    #expect(response.status == .ok)
                    let version = try Self.json(response)["model_version"] as? [String: Any]
                    #expect(version?["current_stage"] as? String == "Production")
                }
                try await client.execute(
                    uri: "/api/v1/models/guarded/rollback", method: .post, headers: headers,
                    body: try Self.body(["version": 1, "reason": "regression"])
                ) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/api/v1/models/guarded/versions/1/lineage", method: .get) { response in
                    #expect(response.status == .ok)
                    let lineage = try JSONDecoder().decode(ModelLineage.self, from: Data(response.body.readableBytesView))
                    #expect(lineage.run?.id == run.id)
                    #expect(lineage.transitions.map(\.toStage) == [.candidate, .production, .archived, .production])
                    #expect(lineage.transitions.dropFirst().allSatisfy { $0.actor == "carol" })
                }
            }
            #expect(try await h.store.versions(modelName: "guarded", stage: .production).map(\.version) == [1])
        }
    }

    @Test func artifactsUploadListAndDownloadThroughTheMLflowArtifactAPI() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "art")
            let run = try await h.store.createRun(experimentID: experiment.id)
            let base = "/api/2.0/mlflow-artifacts/artifacts/\(experiment.id)/\(run.id)/artifacts"
            let payload = ByteBuffer(bytes: Array("coefficients".utf8))
            try await Self.app(h, token: nil).test(.router) { client in
                try await client.execute(uri: base + "/model/coef.txt", method: .put, body: payload) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: base + "/model/coef.txt", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "coefficients")
                }
                try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts?path=\(experiment.id)/\(run.id)/artifacts", method: .get)
                { response in
                    let files = try Self.json(response)["files"] as? [[String: Any]]
                    #expect(files?.count == 1)
                    #expect(files?.first?["path"] as? String == "model")
                    #expect(files?.first?["is_dir"] as? Bool == true)
                }
                try await client.execute(uri: base + "/../../escape", method: .put, body: payload) { response in
                    #expect(response.status.code >= 400)
                }
            }
            #expect(try await h.store.artifact(runID: run.id, path: "model/coef.txt") == Array("coefficients".utf8))
        }
    }
}
