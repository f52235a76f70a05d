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

/// MLflow's runs/log-inputs: datasets a run read are stored once each, come back with the run in
/// MLflow's shape, and a bad one is refused with nothing of its call stored.
@Suite("Registry dataset inputs")
struct DatasetInputTests {
    static func dataset(_ name: String, digest: String, context: String = "training", schema: String? = nil) -> [String: Any] {
        var dataset: [String: Any] = ["name": name, "digest": digest, "source_type": "local", "source": "{\"uri\": \"/data/\(name)\"}"]
        if let schema { dataset["schema"] = schema }
        return ["tags": [["key": "mlflow.data.context", "value": context]], "dataset": dataset]
    }

    static func post(_ client: some TestClientProtocol, _ body: [String: Any]) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: "/api/2.0/mlflow/runs/log-inputs", method: .post, headers: RegistryHTTPTests.jsonHeaders,
            body: try RegistryHTTPTests.body(body)
        ) { response in (response.status, try RegistryHTTPTests.json(response)) }
    }

    static func inputs(_ client: some TestClientProtocol, _ runID: String) async throws -> [[String: Any]] {
        try await client.execute(uri: "/api/2.0/mlflow/runs/get?run_id=\(runID)", method: .get) { response in
            let run = try RegistryHTTPTests.json(response)["run"] as? [String: Any]
            return (run?["inputs"] as? [String: Any])?["dataset_inputs"] as? [[String: Any]] ?? []
        }
    }

    @Test func datasetsAreStoredOnceEachInOrderAndReturnedWithTheRun() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await RegistryHTTPTests.app(h, token: nil).test(.router) { client in
                let readings = Self.dataset("readings", digest: "d1", schema: "{\"mlflow_colspec\": []}")
                var (status, _) = try await Self.post(
                    client, ["run_id": run.id, "datasets": [readings, Self.dataset("weather", digest: "w7")]])
                #expect(status == .ok)
                // The same dataset again (same name and digest) is not a second input.
                (status, _) = try await Self.post(client, ["run_id": run.id, "datasets": [readings]])
                #expect(status == .ok)
                let inputs = try await Self.inputs(client, run.id)
                let names = inputs.compactMap { ($0["dataset"] as? [String: Any])?["name"] as? String }
                #expect(names == ["readings", "weather"])
                let first = try #require(inputs.first)
                let dataset = try #require(first["dataset"] as? [String: Any])
                #expect(dataset["digest"] as? String == "d1")
                #expect(dataset["schema"] as? String == "{\"mlflow_colspec\": []}")
                #expect(dataset["source"] as? String == "{\"uri\": \"/data/readings\"}")
                #expect(dataset["profile"] == nil)
                let tags = try #require(first["tags"] as? [[String: Any]])
                #expect(tags.first?["value"] as? String == "training")
                // The store's own reading, and a search, see the same.
                let stored = try #require(try await h.store.run(id: run.id)?.datasetInputs)
                #expect(stored.map(\.name) == ["readings", "weather"])
                let searched = try await h.store.runs(experimentIDs: [run.experimentID], lifecycle: [.active])
                #expect(searched.first { $0.id == run.id }?.datasetInputs?.map(\.digest) == ["d1", "w7"])
            }
        }
    }

    @Test(arguments: [
        "digest too long", "no name", "no dataset", "tag without key", "NUL in source", "datasets not a list", "dataset not an object",
    ])
    func aBadDatasetIsRefusedAndNothingOfItsCallIsStored(_ problem: String) async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await RegistryHTTPTests.app(h, token: nil).test(.router) { client in
                var bad = Self.dataset("bad", digest: "b1")
                var datasets: Any = [Self.dataset("good", digest: "g1")]
                switch problem {
                case "digest too long": bad["dataset"] = ["name": "bad", "digest": String(repeating: "f", count: 37), "source": ""]
                case "no name": bad["dataset"] = ["digest": "b1"]
                case "no dataset": bad["dataset"] = nil
                case "tag without key": bad["tags"] = [["key": "", "value": "x"]]
                case "NUL in source": bad["dataset"] = ["name": "bad", "digest": "b1", "source": "a\u{0}b"]
                case "dataset not an object": bad["dataset"] = ["name", "bad"]
                default: datasets = "good"
                }
                if var list = datasets as? [[String: Any]] {
                    list.append(bad)
                    datasets = list
                }
                let (status, body) = try await Self.post(client, ["run_id": run.id, "datasets": datasets])
                #expect(status == .badRequest, "\(problem): \(body)")
                #expect(body["error_code"] as? String == "INVALID_PARAMETER_VALUE", "\(problem): \(body)")
                #expect(try await Self.inputs(client, run.id).isEmpty, "\(problem)")
            }
        }
    }

    @Test func anUnknownRunIsNotFoundAndLoggedModelsAreRefusedWithWhatToDo() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await RegistryHTTPTests.app(h, token: nil).test(.router) { client in
                var (status, body) = try await Self.post(
                    client, ["run_id": "0123456789abcdef0123456789abcdef", "datasets": [Self.dataset("readings", digest: "d1")]])
                #expect(status == .notFound)
                #expect(body["error_code"] as? String == "RESOURCE_DOES_NOT_EXIST")
                (status, body) = try await Self.post(client, ["run_id": run.id, "models": [["model_id": "m-1"]]])
                #expect(status == .notFound)
                #expect((body["message"] as? String)?.contains("register_model") == true, "\(body)")
            }
        }
    }
}
