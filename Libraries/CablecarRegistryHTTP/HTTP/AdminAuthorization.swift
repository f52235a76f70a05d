import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Hummingbird

/// Admin actions (stage changes, rollback, deletes) need the bearer token configured in
/// CABLECAR_REGISTRY_ADMIN_TOKEN; reads and experiment tracking do not.
public struct AdminAuthorization: Sendable {
    let token: String?

    static let actorHeader = "x-cablecar-actor"

    /// The actor to record: the `X-Cablecar-Actor` header, or `fallback`.
    func authorize(_ request: Request, fallbackActor: String) throws -> String {
        switch BearerToken.refusal(of: request, token: token) {
        case .disabled:
            throw APIError(
                status: .forbidden, code: "PERMISSION_DENIED",
                message: "admin actions are disabled on this server: set \(RegistryHTTPConfiguration.adminTokenVariable) on the server "
                    + "and send it as 'Authorization: Bearer <token>'")
        case .missing:
            throw APIError(
                status: .unauthorized, code: "UNAUTHENTICATED",
                message: "this action needs the admin token: send 'Authorization: Bearer <token>' "
                    + "(the CLI reads \(RegistryHTTPConfiguration.adminTokenVariable))")
        case .wrong:
            throw APIError(status: .forbidden, code: "PERMISSION_DENIED", message: "the bearer token is not the registry's admin token")
        case nil:
            break
        }
        let actor = request.headers.first { $0.name.canonicalName == Self.actorHeader }.map { String($0.value.prefix(200)) } ?? ""
        return actor.isEmpty ? fallbackActor : actor
    }
}
