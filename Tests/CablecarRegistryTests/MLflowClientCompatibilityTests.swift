import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// The stock `mlflow` Python client (mlflow-skinny from PyPI, installed by scripts/bootstrap)
/// against a real Cablecar registry server, then Cablecar's own CLI reading what it wrote.
@Suite("MLflow client compatibility")
struct MLflowClientCompatibilityTests {
    /// The bootstrapped client; missing means the machine was not bootstrapped, which fails
    /// the test (it is never skipped).
    static func python() throws -> URL {
        let python = TestStack.repositoryRoot.appendingPathComponent(".cablecar/mlflow-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestFailure("the mlflow client is not installed at \(python.path): run scripts/bootstrap")
        }
        return python
    }

    static let script = #"""
        import json, math, os, sys, tempfile, time
        import mlflow
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag

        mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
        experiment_id = mlflow.set_experiment("traffic compat+1").experiment_id
        with mlflow.start_run(run_name="ridge-fit") as run:
            run_id = run.info.run_id
            mlflow.log_param("alpha", 0.5)
            mlflow.log_params({"horizon": 15, "features": "speed,flow"})
            mlflow.log_metric("mae", 3.5, step=0)
            mlflow.log_metric("mae", 2.25, step=1)
            mlflow.log_metrics({"rmse": 4.0, "r2": 0.81}, step=1)
            MlflowClient().log_batch(
                run_id, metrics=[Metric("mae", 1.5, int(time.time() * 1000), 2)],
                params=[Param("solver", "ridge")], tags=[RunTag("batch", "yes")])
            mlflow.log_metric("diverged_loss", float("nan"))
            mlflow.set_tag("team", "traffic")
            mlflow.set_tags({"city": "sf"})
            directory = tempfile.mkdtemp()
            path = os.path.join(directory, "model.txt")
            with open(path, "w") as f:
                f.write("coefficients=1,2,3")
            mlflow.log_artifact(path, artifact_path="model")
            # An MLflow model directory (MLmodel descriptor) lets mlflow.register_model take runs:/ URIs.
            with open(os.path.join(directory, "MLmodel"), "w") as f:
                f.write("artifact_path: model\nflavors: {}\n")
            mlflow.log_artifact(os.path.join(directory, "MLmodel"), artifact_path="model")

        client = MlflowClient()
        # Without set_experiment the client logs to experiment "0", which MLflow servers provide.
        assert client.get_experiment("0").name == "Default"
        default_run = client.create_run("0")
        client.set_terminated(default_run.info.run_id)
        assert client.get_run(default_run.info.run_id).info.status == "FINISHED"
        fetched = client.get_run(run_id)
        assert fetched.info.status == "FINISHED", fetched.info.status
        assert fetched.data.params["alpha"] == "0.5", fetched.data.params
        assert fetched.data.params["solver"] == "ridge", fetched.data.params
        assert fetched.data.metrics["mae"] == 1.5, fetched.data.metrics
        assert fetched.data.tags["team"] == "traffic", fetched.data.tags
        assert math.isnan(fetched.data.metrics["diverged_loss"]), fetched.data.metrics
        assert len(client.get_metric_history(run_id, "mae")) == 3
        listed = [a.path for a in client.list_artifacts(run_id, "model")]
        assert listed == ["model/MLmodel", "model/model.txt"], listed
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model/model.txt")
        assert open(local).read() == "coefficients=1,2,3"
        found = client.search_runs([experiment_id], "tags.team = 'traffic'")
        assert [r.info.run_id for r in found] == [run_id], found
        ordered = client.search_runs([experiment_id, "0"], "", order_by=["metrics.mae ASC", "attributes.start_time DESC"])
        assert [r.info.run_id for r in ordered][0] == run_id, ordered

        client.create_registered_model("mlflow-speed", description="registered by the mlflow client")
        version = client.create_model_version("mlflow-speed", f"runs:/{run_id}/model", run_id, description="first")
        assert version.version in ("1", 1), version.version
        client.set_registered_model_alias("mlflow-speed", "champion", version.version)
        assert str(client.get_model_version_by_alias("mlflow-speed", "champion").version) == "1"
        assert client.get_registered_model("mlflow-speed").aliases == {"champion": "1"}
        # The fluent one-liner: registers a second version of the same run's model directory.
        second = mlflow.register_model(f"runs:/{run_id}/model", "mlflow-speed")
        assert str(second.version) == "2", second.version
        assert [str(v.version) for v in client.search_model_versions("name='mlflow-speed'")] == ["2", "1"]
        # MLflow 3 logged models are refused with what to use instead, not an unexplained error.
        from mlflow.exceptions import MlflowException
        try:
            mlflow.initialize_logged_model(name="logged")
            raise AssertionError("a logged model was created")
        except MlflowException as error:
            assert "register_model" in error.message and "logged models" in error.message, error.message
        # Dataset inputs (mlflow.log_input) are stored and come back with the run, once per dataset.
        from mlflow.entities import Dataset, DatasetInput, InputTag
        readings = Dataset("readings", "d1", "local", '{"uri": "/data/readings.csv"}', schema='{"mlflow_colspec": []}')
        client.log_inputs(run_id, [DatasetInput(readings, [InputTag("mlflow.data.context", "training")])])
        client.log_inputs(run_id, [DatasetInput(readings, [InputTag("mlflow.data.context", "training")])])
        inputs = client.get_run(run_id).inputs.dataset_inputs
        assert [(i.dataset.name, i.dataset.digest, i.dataset.source) for i in inputs] == [("readings", "d1", '{"uri": "/data/readings.csv"}')], inputs
        assert inputs[0].dataset.schema == '{"mlflow_colspec": []}' and inputs[0].tags[0].value == "training", inputs
        # Every endpoint the registry lacks (model outputs here) says so, naming itself.
        scratch = client.create_run("0").info.run_id
        try:
            from mlflow.entities import LoggedModelOutput
            client.log_outputs(scratch, [LoggedModelOutput("m-1", 0)])
            raise AssertionError("model outputs were accepted")
        except MlflowException as error:
            assert "/runs/outputs is not implemented by this registry" in error.message, error.message
        client.set_terminated(scratch)
        print("RESULT " + json.dumps({"run_id": run_id, "experiment_id": experiment_id, "version": str(version.version)}))
        """#

    struct Result: Decodable {
        let runID: String
        let experimentID: String
        let version: String

        enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case experimentID = "experiment_id"
            case version
        }
    }

    @Test func theStockMLflowClientTracksAndRegistersAndTheCLIShowsIt() async throws {
        let python = try Self.python()
        let cli = try ProductBinary.url("cablecar")
        try await RegistryHarness.with { h in
            let router = Router()
            RegistryRoutes.add(
                to: router, store: h.store, configuration: RegistryHTTPConfiguration(adminToken: "t0ken"), logger: TestStack.logger)
            // The server's own shutdown chatter (cancelled child channels) is not a finding here.
            var serverLogger = Logger(label: "registry-test-server")
            serverLogger.logLevel = .critical
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: serverLogger)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let base = "http://127.0.0.1:\(port)"
                let scriptFile = try TestStack.temporaryDirectory(prefix: "mlflow-script").appendingPathComponent("client.py")
                try Self.script.write(to: scriptFile, atomically: true, encoding: .utf8)
                let outcome = try await ProcessCapture.run(
                    python, [scriptFile.path],
                    environment: [
                        "MLFLOW_TRACKING_URI": base, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "900",
                        "GIT_PYTHON_REFRESH": "quiet",
                        // The client's telemetry thread sets and unsets an environment variable
                        // while requests iterates os.environ (KeyError
                        // '_MLFLOW_TELEMETRY_SESSION_ID', seen once in a full run); it would
                        // also call out of the machine.
                        "MLFLOW_DISABLE_TELEMETRY": "true",
                        // Aliases are admin actions: the stock client sends this as the bearer token.
                        "MLFLOW_TRACKING_TOKEN": "t0ken",
                    ])
                let resultLine = outcome.stdout.split(separator: "\n").first { $0.hasPrefix("RESULT ") }
                #expect(outcome.status == 0, "mlflow client failed:\n\(outcome.stderr.suffix(4000))")
                let line = try #require(resultLine, "no result from the mlflow client:\n\(outcome.stdout)\n\(outcome.stderr.suffix(4000))")
                let result = try JSONDecoder().decode(Result.self, from: Data(line.dropFirst("RESULT ".count).utf8))

                // What the client wrote is in Cablecar's store.
                let run = try #require(try await h.store.run(id: result.runID))
                #expect(run.status == .finished)
                #expect(run.name == "ridge-fit")
                #expect(run.params["horizon"] == "15")
                #expect(try await h.store.metricHistory(runID: run.id, key: "mae").map(\.value) == [3.5, 2.25, 1.5])
                #expect(try await h.store.artifact(runID: run.id, path: "model/model.txt") == Array("coefficients=1,2,3".utf8))
                let second = try #require(try await h.store.version(modelName: "mlflow-speed", version: 2))
                #expect(second.runID == run.id)
                #expect(second.source.hasPrefix("mlflow-artifacts:/"))
                let version = try #require(try await h.store.version(modelName: "mlflow-speed", version: 1))
                #expect(version.runID == run.id)
                #expect(version.artifactPath == "model")
                #expect(version.artifactSHA256 != nil)
                #expect(version.aliases == ["champion"])

                // Cablecar's CLI reads it back over the same API.
                let environment = ["CABLECAR_TRAINER_URL": base, "CABLECAR_REGISTRY_ADMIN_TOKEN": ""]
                let runs = try await ProcessCapture.run(
                    cli, ["runs", "list", "--experiment", "traffic compat+1"], environment: environment)
                #expect(runs.status == 0, "\(runs.stderr)")
                #expect(runs.stdout.contains(run.id))
                #expect(runs.stdout.contains("FINISHED"))
                #expect(runs.stdout.contains("diverged_loss=nan"))
                #expect(runs.stdout.contains("mae=1.5"))
                let shown = try await ProcessCapture.run(cli, ["runs", "show", run.id], environment: environment)
                #expect(shown.stdout.contains("alpha = 0.5"))
                #expect(shown.stdout.contains("team = traffic"))
                #expect(shown.stdout.contains("readings  digest d1  context training"), "\(shown.stdout)")
                let other = try await h.store.createRun(experimentID: run.experimentID, name: "other")
                try await h.store.logBatch(
                    runID: other.id, metrics: [MetricPoint(key: "mae", value: 1.75, timestamp: 1, step: 0)],
                    parameters: ["alpha": "0.7", "horizon": "15"])
                let compared = try await ProcessCapture.run(cli, ["runs", "compare", run.id, other.id], environment: environment)
                #expect(compared.status == 0, "\(compared.stderr)")
                let alphaRow = compared.stdout.split(separator: "\n").first { $0.hasPrefix("param alpha") }
                #expect(alphaRow?.contains("*") == true && alphaRow?.contains("0.5") == true && alphaRow?.contains("0.7") == true)
                let horizonRow = compared.stdout.split(separator: "\n").first { $0.hasPrefix("param horizon") }
                #expect(horizonRow?.contains("*") == false)
                let models = try await ProcessCapture.run(cli, ["models", "show", "mlflow-speed"], environment: environment)
                #expect(models.status == 0, "\(models.stderr)")
                #expect(models.stdout.contains("candidate"))
                #expect(models.stdout.contains("champion"))
                #expect(models.stdout.contains(run.id))

                // Promotion through the CLI: refused without the token, done with it.
                let refused = try await ProcessCapture.run(
                    cli, ["models", "promote", "mlflow-speed", "1", "--reason", "gates passed"], environment: environment)
                #expect(refused.status != 0)
                #expect(refused.stderr.contains("401") || refused.stdout.contains("401"))
                var admin = environment
                admin["CABLECAR_REGISTRY_ADMIN_TOKEN"] = "t0ken"
                let promoted = try await ProcessCapture.run(
                    cli, ["models", "promote", "mlflow-speed", "1", "--reason", "gates passed"], environment: admin)
                #expect(promoted.status == 0, "\(promoted.stderr)")
                #expect(try await h.store.version(modelName: "mlflow-speed", version: 1)?.stage == .production)
                let listed = try await ProcessCapture.run(cli, ["models", "list"], environment: environment)
                #expect(listed.stdout.contains("mlflow-speed") && listed.stdout.contains("champion=v1"))
                // Promote version 2, then roll back to 1 in one call.
                let second2 = try await ProcessCapture.run(
                    cli, ["models", "promote", "mlflow-speed", "2", "--reason", "newer"], environment: admin)
                #expect(second2.status == 0, "\(second2.stderr)")
                let rolledBack = try await ProcessCapture.run(
                    cli, ["models", "rollback", "mlflow-speed", "1", "--reason", "v2 regressed"], environment: admin)
                #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
                #expect(try await h.store.versions(modelName: "mlflow-speed", stage: .production).map(\.version) == [1])
                #expect(try await h.store.version(modelName: "mlflow-speed", version: 2)?.stage == .archived)
                let lineage = try await ProcessCapture.run(cli, ["models", "lineage", "mlflow-speed", "1"], environment: environment)
                #expect(lineage.stdout.contains("gates passed"))
                #expect(lineage.stdout.contains("v2 regressed"))
                #expect(lineage.stdout.contains("traffic compat+1"))
            }
        }
    }
}
