import CablecarDomain
import CablecarFeatures
import CablecarService
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The feature API. Errors are JSON `APIError`s with a 4xx status for bad input.
public enum FeatureRoutes {
    static let bodyLimit = 1 << 20

    struct BackfillRequest: Codable, Sendable {
        var start: EpochMillis
        var end: EpochMillis
    }

    public static func add<Context: RequestContext>(
        to router: Router<Context>, computer: FeatureComputer, configuration: FeatureStoreConfiguration, database: PostgresClient,
        logger: Logger, progress: PipelineProgress? = nil
    ) {
        let online = OnlineHandler(computer: computer, maxEntities: configuration.maxEntities, database: database, logger: logger)
        let historical = HistoricalHandler(computer: computer, maxRows: configuration.maxRetrievalRows, database: database, logger: logger)
        let materializer = StepMaterializer(computer: computer)

        router.post("/api/v1/features/online") { request, _ in
            do {
                let body = try await decodeBody(OnlineFeatureRequest.self, from: request, limit: bodyLimit)
                return OperationalRoutes.jsonResponse(.ok, try await online.handle(body))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.post("/api/v1/features/historical") { request, _ in
            do {
                let body = try await decodeBody(SnapshotRequest.self, from: request, limit: bodyLimit)
                return historical.response(try historical.plan(body), record: false, format: RetrievalFormat(accept: request.headers[.accept]))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.post("/api/v1/snapshots") { request, _ in
            do {
                let body = try await decodeBody(SnapshotRequest.self, from: request, limit: bodyLimit)
                return historical.response(try historical.plan(body), record: true, format: RetrievalFormat(accept: request.headers[.accept]))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.get("/api/v1/features/catalog") { _, _ in
            do {
                return OperationalRoutes.jsonResponse(.ok, try await CatalogReport.load(computer: computer, progress: progress, on: database, logger: logger))
            } catch {
                return refuse(APIError(503, "store_unavailable", "catalog unavailable: \(error)"), logger: logger)
            }
        }
        router.post("/api/v1/features/backfill") { request, _ in
            do {
                let body = try await decodeBody(BackfillRequest.self, from: request, limit: bodyLimit)
                guard body.end > body.start, body.end - body.start <= 400 * 86_400_000 else {
                    throw APIError(400, "invalid_range", "end must be after start and the range at most 400 days")
                }
                let completed = try await StreamStateStore.lastStep(on: database, logger: logger)
                let result = try await Backfill.run(
                    start: body.start, end: body.end, completedThrough: completed, materializer: materializer, database: database,
                    logger: logger)
                return OperationalRoutes.jsonResponse(.ok, result)
            } catch {
                return refuse(error, logger: logger)
            }
        }
    }

    static func refuse(_ error: Error, logger: Logger) -> Response {
        let apiError = (error as? APIError) ?? APIError(503, "store_unavailable", "\(error)")
        if apiError.status >= 500 {
            logger.error("Feature request failed", metadata: ["reason": "\(apiError.reason)", "detail": "\(apiError.detail)"])
        }
        return OperationalRoutes.jsonResponse(HTTPResponse.Status(code: apiError.status), apiError)
    }
}
