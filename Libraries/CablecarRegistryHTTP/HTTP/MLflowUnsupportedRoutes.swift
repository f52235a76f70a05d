import CablecarRegistry
import CablecarRegistryAPI
import Hummingbird

/// MLflow endpoints the registry does not implement, answered in MLflow's error shape with what
/// to use instead, so the stock client raises an error that says so (an unrouted path would
/// reach it as an unexplained INTERNAL_ERROR).
enum MLflowUnsupportedRoutes {
    static let prefix = "/api/2.0/mlflow"

    /// MLflow 3 logged models (`mlflow.initialize_logged_model`, `log_model` without a run
    /// artifact path, `MlflowClient.create_logged_model`).
    static let loggedModels =
        "MLflow 3 logged models (/logged-models) are not supported by this registry: log the model's files as "
        + "artifacts of a run (mlflow.log_artifacts(directory, artifact_path=\"model\"), with an MLmodel file) and "
        + "register them with mlflow.register_model(\"runs:/<run_id>/model\", name) or "
        + "MlflowClient.create_model_version(name, \"runs:/<run_id>/model\", run_id)"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let refuse = RegistryHandlers.guarded { (_: Request, _: Context) -> Response in
            throw APIError(status: .notFound, code: "ENDPOINT_NOT_FOUND", message: loggedModels)
        }
        // Creating one is where every logged-model workflow starts (searching answers "none" and
        // reading one "not found", MLflowTrackingRoutes, as no logged model can exist here).
        router.post(RouterPath("\(prefix)/logged-models"), use: refuse)
    }
}
