import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird
import Logging

/// The registry's HTTP API: the MLflow REST API subset the stock `mlflow` client uses
/// (`/api/2.0/mlflow/...`, `/api/2.0/mlflow-artifacts/...`), and Cablecar's own endpoints for
/// transitions, rollback and lineage (`/api/v1/...`). A service mounts it on its router:
///
///     RegistryRoutes.add(to: router, store: store, configuration: RegistryHTTPConfiguration(adminToken: token))
public enum RegistryRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, store: any RegistryBackend, configuration: RegistryHTTPConfiguration, logger: Logger
    ) {
        let handlers = RegistryHandlers(
            store: store, configuration: configuration, searches: SearchAdmission(limit: configuration.maxConcurrentSearches),
            logger: logger)
        MLflowTrackingRoutes.add(to: router, handlers)
        MLflowModelRoutes.add(to: router, handlers)
        MLflowModelAdminRoutes.add(to: router, handlers)
        MLflowArtifactRoutes.add(to: router, handlers)
        NativeRegistryRoutes.add(to: router, handlers)
        MLflowUnsupportedRoutes.add(to: router, handlers)
    }
}

/// What every route needs: the store, the limits, the admin check.
struct RegistryHandlers: Sendable {
    let store: any RegistryBackend
    let configuration: RegistryHTTPConfiguration
    /// Shared by every run search this router serves.
    let searches: SearchAdmission
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

    /// Runs a native (/api/v1) handler and renders its errors in Cablecar's one error shape.
    static func native<Context: RequestContext>(
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> @Sendable (Request, Context) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch let error as ServiceError {
                return error.response
            } catch {
                return APIError.from(error).serviceError.response
            }
        }
    }

    /// A path parameter, percent-decoded and checked (NUL, length); errors are 400.
    static func parameter<Context: RequestContext>(_ context: Context, _ name: String) throws -> String {
        try PathParameter.string(context, name, maxLength: JSONBody.maxNameLength)
    }

    func experimentLocation(_ id: Int64) async throws -> String {
        try await store.experiment(id: id)?.artifactLocation ?? ""
    }

    func runJSON(_ run: Run) async throws -> [String: Any] {
        MLflowJSON.run(run, experimentLocation: try await experimentLocation(run.experimentID))
    }

    static func parseID(_ text: String, _ field: String) throws -> Int64 {
        guard let id = Int64(text) else {
            // All digits but beyond Int64: no such id exists.
            if !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) {
                throw APIError.notFound("No \(field) \(text.prefix(40)) exists")
            }
            throw APIError.invalid("'\(field)' must be an integer id, got '\(text.prefix(100))'")
        }
        return id
    }

    /// A model version number: not a positive integer is 400; one beyond any stored version
    /// (versions are int4) is 404, like any other version that does not exist.
    static func parseVersion(_ text: String) throws -> Int {
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), digits.contains(where: { $0 != "0" }) else {
            throw APIError.invalid("'version' must be a positive integer, got '\(text.prefix(100))'")
        }
        guard let version = Int(digits), version <= Int(Int32.max) else {
            throw APIError.notFound("Model version \(digits.prefix(40)) does not exist (versions go up to \(Int32.max))")
        }
        return version
    }
}
