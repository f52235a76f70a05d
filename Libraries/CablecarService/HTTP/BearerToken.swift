import Hummingbird

/// The admin check every API shares: `Authorization: Bearer <token>` against the token the
/// server was given (`CABLECAR_REGISTRY_ADMIN_TOKEN`). Each API answers a refusal in its own
/// error shape (the registry's MLflow errors, the services' `ServiceError`).
public enum BearerToken {
    public enum Refusal: Sendable, Equatable {
        /// The server has no token: admin calls are disabled.
        case disabled
        /// The request carries no bearer token.
        case missing
        /// The bearer token is not the server's.
        case wrong
    }

    /// Why `request` may not make an admin call; nil when it carries `token`.
    public static func refusal(of request: Request, token: String?) -> Refusal? {
        refusal(authorization: request.headers[.authorization], token: token)
    }

    /// As `refusal(of:token:)`, for the value of an `Authorization` header.
    public static func refusal(authorization header: String?, token: String?) -> Refusal? {
        guard let token else { return .disabled }
        guard let header, header.hasPrefix("Bearer ") else { return .missing }
        return ConstantTime.equal(Array(header.dropFirst("Bearer ".count).utf8), Array(token.utf8)) ? nil : .wrong
    }
}
