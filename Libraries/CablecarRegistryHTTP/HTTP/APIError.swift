import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// An HTTP error in MLflow's format: `{"error_code": "...", "message": "..."}`.
struct APIError: Error, CustomStringConvertible {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    var description: String { "\(code): \(message)" }

    static func invalid(_ message: String) -> APIError { APIError(status: .badRequest, code: "INVALID_PARAMETER_VALUE", message: message) }
    static func missing(_ field: String) -> APIError {
        APIError(status: .badRequest, code: "INVALID_PARAMETER_VALUE", message: "Missing value for required parameter '\(field)'.")
    }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: "RESOURCE_DOES_NOT_EXIST", message: message) }
    static func tooLarge(_ message: String) -> APIError {
        APIError(status: .contentTooLarge, code: "REQUEST_LIMIT_EXCEEDED", message: message)
    }

    /// Maps any error to the status and code a client should see.
    static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? RegistryError {
            switch error.code {
            case .notFound: return APIError(status: .notFound, code: error.code.rawValue, message: error.message)
            case .alreadyExists, .invalidParameter, .invalidState:
                return APIError(status: .badRequest, code: error.code.rawValue, message: error.message)
            case .tooLarge: return APIError(status: .contentTooLarge, code: error.code.rawValue, message: error.message)
            }
        }
        if let error = error as? PostgresTransactionError, let inner = error.closureError { return from(inner) }
        if let error = error as? ServiceError {
            let code: String
            switch error.status.code {
            case 404: code = "RESOURCE_DOES_NOT_EXIST"
            case 413: code = "REQUEST_LIMIT_EXCEEDED"
            case 401: code = "UNAUTHENTICATED"
            case 403: code = "PERMISSION_DENIED"
            case 400..<500: code = "INVALID_PARAMETER_VALUE"
            default: code = "INTERNAL_ERROR"
            }
            return APIError(status: error.status, code: code, message: error.message)
        }
        // Postgres refused the input (NUL, invalid UTF-8, out of range, an index row too large).
        if let refusal = InputRefusal.message(of: error) {
            return APIError.invalid("the registry refused the value: \(refusal)")
        }
        // Anything else is the server's fault: logged under an id the client can quote.
        let id = UUID().uuidString.lowercased()
        Self.logger.error("Registry request failed", metadata: ["error_id": "\(id)", "error": "\(String(describing: error))"])
        return APIError(
            status: .internalServerError, code: "INTERNAL_ERROR", message: "registry failure; the cause is logged under error id \(id)")
    }

    static let logger = Logger(label: "cablecar-registry")

    /// The same error in the one shape of Cablecar's own APIs (the registry's /api/v1 routes):
    /// MLflow's code, lowercased, as `code`.
    var serviceError: ServiceError { ServiceError(status, code: code.lowercased(), message) }

    var response: Response { JSONBody.response(status, ["error_code": code, "message": message]) }
}
