import Hummingbird
import Logging

/// The registry's HTTP API: the MLflow REST API subset the stock `mlflow` client uses
/// (`/api/2.0/mlflow/...`, `/api/2.0/mlflow-artifacts/...`), and Cablecar's own endpoints for
/// transitions, rollback and lineage (`/api/v1/...`). A service mounts it on its router:
///
///     RegistryRoutes.add(to: router, store: store, configuration: RegistryHTTPConfiguration(adminToken: token))
public enum RegistryRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, store: RegistryStore, configuration: RegistryHTTPConfiguration, logger: Logger
    ) {
        let handlers = RegistryHandlers(store: store, configuration: configuration, logger: logger)
        MLflowTrackingRoutes.add(to: router, handlers)
        MLflowModelRoutes.add(to: router, handlers)
        MLflowModelAdminRoutes.add(to: router, handlers)
        MLflowArtifactRoutes.add(to: router, handlers)
        NativeRegistryRoutes.add(to: router, handlers)
    }
}

/// What every route needs: the store, the limits, the admin check.
struct RegistryHandlers: Sendable {
    let store: RegistryStore
    let configuration: RegistryHTTPConfiguration
    let logger: Logger
    var admin: AdminAuthorization { AdminAuthorization(token: configuration.adminToken) }

    func body(_ request: Request) async throws -> JSONBody {
        try await JSONBody.read(request, limit: configuration.maxRequestBytes)
    }

    /// Runs a handler and turns its errors into MLflow-style error responses.
    static func guarded<Context: RequestContext>(
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> @Sendable (Request, Context) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                return APIError.from(error).response
            }
        }
    }

    func experimentLocation(_ id: Int64) async throws -> String {
        try await store.experiment(id: id)?.artifactLocation ?? ""
    }

    func runJSON(_ run: Run) async throws -> [String: Any] {
        MLflowJSON.run(run, experimentLocation: try await experimentLocation(run.experimentID))
    }

    static func parseID(_ text: String, _ field: String) throws -> Int64 {
        guard let id = Int64(text) else { throw APIError.invalid("'\(field)' must be an integer id, got '\(text)'") }
        return id
    }

    static func parseVersion(_ text: String) throws -> Int {
        guard let version = Int(text), version >= 1 else { throw APIError.invalid("'version' must be a positive integer, got '\(text)'") }
        return version
    }
}
