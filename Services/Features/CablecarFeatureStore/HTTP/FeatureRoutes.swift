import CablecarDomain
import CablecarFeatures
import CablecarPostgres
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

        OpenAPIRoute.add(to: router, document: OpenAPIRoute.document(in: .module))
        router.post("/api/v1/features/online") { request, _ in
            do {
                let body = try await JSONRequest.decode(OnlineFeatureRequest.self, from: request, limit: bodyLimit)
                return OperationalRoutes.jsonResponse(.ok, try await online.handle(body))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.post("/api/v1/features/historical") { request, _ in
            do {
                let body = try await JSONRequest.decode(SnapshotRequest.self, from: request, limit: bodyLimit)
                return historical.response(
                    try historical.plan(body), record: false, format: RetrievalFormat(accept: request.headers[.accept]))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.post("/api/v1/snapshots") { request, _ in
            do {
                let body = try await JSONRequest.decode(SnapshotRequest.self, from: request, limit: bodyLimit)
                return historical.response(
                    try historical.plan(body), record: true, format: RetrievalFormat(accept: request.headers[.accept]))
            } catch {
                return refuse(error, logger: logger)
            }
        }
        router.get("/api/v1/features/catalog") { _, _ in
            do {
                return OperationalRoutes.jsonResponse(
                    .ok, try await CatalogReport.load(computer: computer, progress: progress, on: database, logger: logger))
            } catch {
                return refuse(APIError(503, "store_unavailable", "catalog unavailable: \(error)"), logger: logger)
            }
        }
        router.post("/api/v1/features/backfill") { request, _ in
            do {
                let body = try await JSONRequest.decode(BackfillRequest.self, from: request, limit: bodyLimit)
                if let problem = EpochBounds.problem("start", body.start) ?? EpochBounds.problem("end", body.end) {
                    throw APIError(400, "invalid_range", problem)
                }
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

    /// A refusal as its response; anything but a `ServiceError` is a database failure: a refusal
    /// of the input (400), or a logged 503 whose response carries the error id.
    static func refuse(_ error: Error, logger: Logger) -> Response {
        if let error = error as? ServiceError {
            if error.status.code >= 500 {
                logger.error("Feature request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            }
            return error.response
        }
        if let refusal = InputRefusal.message(of: error) {
            return ServiceError.badRequest("the feature store refused the request: \(refusal)").response
        }
        return ServiceError.logged(
            .serviceUnavailable, code: "store_unavailable", "the feature store is unavailable", error: error, logger: logger
        )
        .response
    }
}
