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
        // Everything else under the prefix that no route above takes (model outputs, traces, what
        // a newer client calls): an empty 404 reached the client as an unexplained failure.
        let unknown = RegistryHandlers.guarded { (request: Request, _: Context) -> Response in
            throw APIError(status: .notFound, code: "ENDPOINT_NOT_FOUND", message: notImplemented(request))
        }
        for root in [prefix, nextPrefix] {
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
                router.on(RouterPath("\(root)/**"), method: method, use: unknown)
            }
        }
    }

    /// Where MLflow 3 clients send traces and a few newer calls.
    static let nextPrefix = "/api/3.0/mlflow"

    static func notImplemented(_ request: Request) -> String {
        let path = request.uri.path.hasPrefix(prefix) ? String(request.uri.path.dropFirst(prefix.count)) : request.uri.path
        return "\(request.method) \(path.prefix(200)) is not implemented by this registry, which serves MLflow's run tracking, "
            + "dataset inputs, model registry and artifact endpoints (not traces, logged models or their outputs): see README.md, "
            + "Tracking and registry"
    }
}
