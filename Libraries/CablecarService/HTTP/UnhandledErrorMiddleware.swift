import CablecarPostgres
import Hummingbird
import Logging
import NIOHTTP1
import PostgresNIO

/// The last word on an error a route did not turn into a response itself, so no request gets an
/// empty 500: a value the database refused because of the request (SQLSTATE classes 22, 23, 54:
/// a NUL in a string, a number out of range, a string too long) is the caller's 400; any other
/// database error is a logged 503 (retry); a body the HTTP parser could not read is a 400;
/// anything else a logged 500. Logged errors carry an
/// error id in the response, never the cause.
public struct UnhandledErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch is CancellationError {
            throw ServiceError.unavailable("the request was cancelled while the service stops; retry")
        } catch let error as HTTPParserError {
            // A route that read the body itself met framing the parser refused.
            throw JSONRequest.malformedBody(error)
        } catch {
            if let refusal = InputRefusal.message(of: error) {
                throw ServiceError.badRequest("the database refused a value of this request: \(refusal)", code: "invalid_value")
            }
            if Self.isDatabaseError(error) {
                throw ServiceError.logged(
                    .serviceUnavailable, code: "database_unavailable",
                    "\(request.method) \(request.uri.path) could not be answered by the database; retry", error: error, logger: logger)
            }
            throw ServiceError.logged(
                .internalServerError, code: "internal", "\(request.method) \(request.uri.path) failed", error: error, logger: logger)
        }
    }

    /// Postgres errors, and the client pool's own (no connection could be made), whose type lives
    /// in a module PostgresNIO does not export, so it is known by name.
    static func isDatabaseError(_ error: any Error) -> Bool {
        error is PSQLError || error is PostgresTransactionError
            || String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError")
    }
}
