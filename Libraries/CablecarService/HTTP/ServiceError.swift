import Foundation
import Hummingbird
import Logging

/// The one error shape of Cablecar's own HTTP APIs (ingest, features, trainer, forecast, monitor,
/// the registry's native routes): a status and a JSON body
/// `{"error": "<what failed and what to do>", "code": "<snake_case>"}`.
///
/// `error` is a plain string so that Open Inference Protocol (KServe V2) clients, which expect
/// `{"error": "..."}`, read it too. MLflow routes keep MLflow's own shape (`error_code`, `message`).
/// Thrown from a route, it renders itself (Hummingbird's `HTTPResponseError`).
public struct ServiceError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Names the request did not match (unknown features, neighborhoods), as `"unknown": [...]`.
    public var unknown: [String]?
    /// Set on logged server errors (`"error_id"`): the id under which the cause was logged.
    public var errorID: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, unknown: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.unknown = unknown
    }

    /// A server error whose cause is logged under a fresh error id; the response carries the id
    /// (to quote when reporting) and never the cause (which may hold internals).
    public static func logged(
        _ status: HTTPResponse.Status, code: String, _ message: String, error: any Error, logger: Logger
    ) -> ServiceError {
        let id = UUID().uuidString.lowercased()
        // `String(reflecting:)`: PostgresNIO's errors describe themselves generically and keep
        // what the server said (SQLSTATE, message) for their debug description.
        logger.error("\(message)", metadata: ["error_id": "\(id)", "code": "\(code)", "error": "\(String(reflecting: error))"])
        var failure = ServiceError(status, code: code, "\(message); the cause is logged under error id \(id)")
        failure.errorID = id
        return failure
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "invalid_request") -> ServiceError {
        ServiceError(.badRequest, code: code, message)
    }
    public static func notFound(_ message: String, code: String = "not_found") -> ServiceError {
        ServiceError(.notFound, code: code, message)
    }
    public static func unauthorized(_ message: String) -> ServiceError { ServiceError(.unauthorized, code: "unauthorized", message) }
    public static func forbidden(_ message: String) -> ServiceError { ServiceError(.forbidden, code: "forbidden", message) }
    public static func tooLarge(_ message: String) -> ServiceError { ServiceError(.contentTooLarge, code: "too_large", message) }
    public static func unavailable(_ message: String) -> ServiceError {
        ServiceError(.serviceUnavailable, code: "unavailable", message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The body as bytes, for handlers that build responses themselves.
    public var response: Response {
        var response = Self.response(status: status, body: Body(error: message, code: code, unknown: unknown, errorID: errorID))
        if status == .methodNotAllowed, let allow { response.headers[.allow] = allow }
        return response
    }

    /// The `Allow` header of a 405.
    public var allow: String?

    struct Body: Encodable {
        var error: String
        var code: String
        var unknown: [String]?
        var errorID: String?

        enum CodingKeys: String, CodingKey {
            case error, code, unknown
            case errorID = "error_id"
        }
    }

    static func response(status: HTTPResponse.Status, body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":"unencodable error"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
