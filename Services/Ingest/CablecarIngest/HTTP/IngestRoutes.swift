import CablecarDomain
import CablecarService
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The ingest API: accounting and quality reports, and the push endpoint.
public enum IngestRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, database: PostgresClient, catalog: CityCatalog, push: PushHandler, logger: Logger
    ) {
        OpenAPIRoute.add(to: router, document: OpenAPIRoute.document(in: .module))
        router.get("/api/v1/accounting") { _, _ in
            do {
                return OperationalRoutes.jsonResponse(.ok, try await AccountingReport.load(from: database, logger: logger))
            } catch {
                throw ServiceError.logged(
                    .serviceUnavailable, code: "store_unavailable", "accounting unavailable", error: error, logger: logger)
            }
        }
        router.get("/api/v1/quality") { _, _ in
            do {
                return OperationalRoutes.jsonResponse(.ok, try await QualityReport.load(from: database, catalog: catalog, logger: logger))
            } catch {
                throw ServiceError.logged(
                    .serviceUnavailable, code: "store_unavailable", "quality report unavailable", error: error, logger: logger)
            }
        }
        router.post("/api/v1/ingest/:feed") { request, context in
            let feed = try PathParameter.string(context, "feed", maxLength: 100)
            var body: [UInt8]?
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > push.bodyLimit {
                body = nil
            } else {
                do {
                    body = try await JSONRequest.body(of: request, limit: push.bodyLimit)
                } catch let error as ServiceError where error.status == .contentTooLarge {
                    body = nil
                }
            }
            let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
            let answer = await push.handle(feedName: feed, body: body, now: now)
            if answer.status >= 400 {
                logger.info(
                    "Push refused", metadata: ["feed": "\(feed)", "status": "\(answer.status)", "reason": "\(answer.reason ?? "")"])
            }
            return OperationalRoutes.jsonResponse(HTTPResponse.Status(code: answer.status), answer)
        }
    }
}
