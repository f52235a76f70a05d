import Foundation
import Hummingbird

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

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
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
        Self.response(status: status, body: ["error": message, "code": code])
    }

    /// The body as bytes, for handlers that build responses themselves.
    public var response: Response { Self.response(status: status, body: ["error": message, "code": code]) }

    static func response(status: HTTPResponse.Status, body: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":"unencodable error"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
