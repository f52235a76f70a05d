import Foundation
import Hummingbird
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
        return APIError(status: .internalServerError, code: "INTERNAL_ERROR", message: "registry failure: \(String(describing: error))")
    }

    var response: Response { JSONBody.response(status, ["error_code": code, "message": message]) }
}
