import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// MLflow routes read request fields by protobuf's JSON mapping, as MLflow's server does: a
/// string field takes only a JSON string (a number, boolean, list or object is a 400 naming the
/// field, never stored as text), while int64 fields take numbers or strings, doubles take
/// numbers or "NaN", and enums take names or numbers.
@Suite("MLflow request field types")
struct MLflowFieldTypeTests {
    static let m = "/api/2.0/mlflow"

    static func call(
        _ client: some TestClientProtocol, _ uri: String, _ method: HTTPRequest.Method = .post, _ object: [String: Any]
    ) async throws -> (Int, String) {
        try await call(client, uri, method, try RegistryHardeningTests.body(object))
    }

    static func call(
        _ client: some TestClientProtocol, _ uri: String, _ method: HTTPRequest.Method, _ body: ByteBuffer
    ) async throws -> (Int, String) {
        try await client.execute(
            uri: "\(m)/\(uri)", method: method, headers: [.contentType: "application/json", .authorization: "Bearer adm1n"], body: body
        ) { response in (Int(response.status.code), String(buffer: response.body)) }
    }

    @Test func stringFieldsRefuseEveryOtherJSONType() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            _ = try await h.store.ensureRegisteredModel(name: "typed")
            _ = try await h.store.createModelVersion(
                modelName: "typed", runID: run.id, artifactPath: "model", description: "", source: nil, tags: [:], actor: "t")
            let wrong: [Any] = [[1, 1, 1], -0, 1e-300, true, ["k": "v"], 7]
            // (route, method, a valid body, the string field to spoil)
            let cases: [(String, HTTPRequest.Method, [String: Any], String)] = [
                // runs
                ("runs/set-tag", .post, ["run_id": run.id, "key": "k", "value": "v"], "key"),
                ("runs/set-tag", .post, ["run_id": run.id, "key": "k", "value": "v"], "value"),
                ("runs/set-tag", .post, ["run_id": run.id, "key": "k", "value": "v"], "run_id"),
                ("runs/log-parameter", .post, ["run_id": run.id, "key": "p", "value": "v"], "key"),
                ("runs/log-parameter", .post, ["run_id": run.id, "key": "p", "value": "v"], "value"),
                ("runs/log-metric", .post, ["run_id": run.id, "key": "m", "value": 1.0, "timestamp": 1], "key"),
                ("runs/log-batch", .post, ["run_id": run.id, "params": [["key": "p", "value": "v"]]], "run_id"),
                ("runs/create", .post, ["experiment_id": String(run.experimentID)], "experiment_id"),
                ("runs/create", .post, ["experiment_id": String(run.experimentID)], "run_name"),
                ("runs/update", .post, ["run_id": run.id, "run_name": "n"], "run_name"),
                ("runs/search", .post, ["experiment_ids": [String(run.experimentID)]], "filter"),
                ("runs/search", .post, ["experiment_ids": [String(run.experimentID)]], "page_token"),
                // experiments
                ("experiments/create", .post, ["name": "e-\(UUID())"], "name"),
                ("experiments/set-experiment-tag", .post, ["experiment_id": String(run.experimentID), "key": "k", "value": "v"], "value"),
                // registered models, versions, aliases
                ("registered-models/create", .post, ["name": "m-\(UUID())"], "name"),
                ("registered-models/create", .post, ["name": "m-\(UUID())"], "description"),
                ("registered-models/set-tag", .post, ["name": "typed", "key": "k", "value": "v"], "value"),
                ("model-versions/set-tag", .post, ["name": "typed", "version": "1", "key": "k", "value": "v"], "key"),
                ("model-versions/set-tag", .post, ["name": "typed", "version": "1", "key": "k", "value": "v"], "version"),
                ("model-versions/create", .post, ["name": "typed", "source": "runs:/\(run.id)/model", "run_id": run.id], "source"),
                ("model-versions/update", .patch, ["name": "typed", "version": "1", "description": "d"], "description"),
                ("registered-models/alias", .post, ["name": "typed", "alias": "champion", "version": "1"], "alias"),
                ("registered-models/alias", .post, ["name": "typed", "alias": "champion", "version": "1"], "version"),
            ]
            var requests: [(String, HTTPRequest.Method, ByteBuffer, String, String)] = []
            for (uri, method, valid, field) in cases {
                for value in wrong {
                    var body = valid
                    body[field] = value
                    requests.append((uri, method, try RegistryHardeningTests.body(body), field, "\(value)"))
                }
            }
            let spoiled = requests
            try await RegistryHardeningTests.app(h).test(.router) { client in
                for (uri, method, body, field, value) in spoiled {
                    let (status, text) = try await Self.call(client, uri, method, body)
                    #expect(status == 400, "\(uri) \(field)=\(value): \(status) \(text.prefix(200))")
                    #expect(text.contains("INVALID_PARAMETER_VALUE") && text.contains("'\(field)'"), "\(uri) \(field): \(text.prefix(200))")
                }
                // Repeated string fields take strings only, item by item.
                for (field, list) in [("experiment_ids", [run.experimentID] as [Any]), ("order_by", [1] as [Any])] {
                    var body: [String: Any] = ["experiment_ids": [String(run.experimentID)]]
                    body[field] = list
                    let (status, text) = try await Self.call(client, "runs/search", .post, body)
                    #expect(status == 400 && text.contains("'\(field)[]'"), "\(field): \(text.prefix(200))")
                }
                let (stages, text) = try await Self.call(
                    client, "registered-models/get-latest-versions", .post, ["name": "typed", "stages": [1]])
                #expect(stages == 400 && text.contains("'stages[]'"), "\(text.prefix(200))")
            }
            // Nothing was stored from a refused request (the probe's tag "1" and param "0").
            #expect(try await h.count("SELECT count(*)::int FROM registry_run_tags WHERE run_id = \(run.id)") == 0)
            #expect(try await h.count("SELECT count(*)::int FROM registry_run_params WHERE run_id = \(run.id)") == 0)
            #expect(try await h.count("SELECT count(*)::int FROM registry_model_aliases") == 0)
        }
    }

    @Test func numbersAndEnumsArriveAsProtobufJSONAllows() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await RegistryHardeningTests.app(h).test(.router) { client in
                // int64 as strings (protobuf's JSON writes them so), doubles as "NaN", numbers as numbers.
                for body: [String: Any] in [
                    ["run_id": run.id, "key": "loss", "value": "NaN", "timestamp": "1700000000000", "step": "2"],
                    ["run_id": run.id, "key": "loss", "value": 0.5, "timestamp": 1_700_000_000_001, "step": 3],
                ] {
                    let (status, text) = try await Self.call(client, "runs/log-metric", .post, body)
                    #expect(status == 200, "\(text.prefix(200))")
                }
                let (created, createdText) = try await Self.call(
                    client, "runs/create", .post, ["experiment_id": String(run.experimentID), "start_time": "1700000000000"])
                #expect(created == 200, "\(createdText.prefix(200))")
                // Enums by number: RunStatus FINISHED = 3, ViewType ALL = 3.
                let (updated, updatedText) = try await Self.call(
                    client, "runs/update", .post, ["run_id": run.id, "status": 3, "end_time": "1700000000002"])
                #expect(updated == 200 && updatedText.contains("FINISHED"), "\(updatedText.prefix(200))")
                let (searched, searchedText) = try await Self.call(
                    client, "runs/search", .post,
                    ["experiment_ids": [String(run.experimentID)], "run_view_type": 3, "max_results": "10", "order_by": "start_time DESC"])
                #expect(searched == 200 && searchedText.contains(run.id), "\(searchedText.prefix(200))")
                let (boolean, booleanText) = try await Self.call(
                    client, "runs/search", .post, ["experiment_ids": [String(run.experimentID)], "run_view_type": true])
                #expect(boolean == 400 && booleanText.contains("'run_view_type'"), "\(booleanText.prefix(200))")
            }
        }
    }
}
