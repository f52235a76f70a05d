import CablecarDomain
import CablecarPostgres
import CablecarService
import Foundation
import Hummingbird
import Logging

/// The trainer's API: POST /api/v1/train queues a request (202 with its id), GET
/// /api/v1/train/{id} reports its status and, once done, the evaluation and the decision.
public enum TrainerRoutes {
    /// The POST body: a `TrainingRequest` whose id, times, reason and requester may be left out.
    struct Body: Decodable {
        var requestID: String?
        var start: EpochMillis
        var end: EpochMillis
        var targets: [String]?
        var horizons: [Int]?
        var neighborhoods: [String]?
        var reason: TrainingRequest.Reason?
        var detail: String?
        var requestedBy: String?

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case start, end, targets, horizons, neighborhoods, reason, detail
            case requestedBy = "requested_by"
        }
    }

    struct Accepted: Encodable {
        var requestID: String
        var queued: Bool
        var status: String

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case queued, status
        }
    }

    public static func add<Context: RequestContext>(
        to router: Router<Context>, queue: RequestQueue, bodyLimit: Int, maxQueued: Int, logger: Logger
    ) {
        OpenAPIRoute.add(to: router, document: OpenAPIRoute.document(in: .module))
        router.post("/api/v1/train") { request, _ in
            let trainingRequest = try parse(try await JSONRequest.body(of: request, limit: bodyLimit))
            let problems = trainingRequest.problems()
            guard problems.isEmpty else {
                throw ServiceError.badRequest(
                    "invalid training request: " + problems.joined(separator: "; "), code: "invalid_training_request")
            }
            let inserted: Bool
            let state: String
            do {
                // A client that queues faster than training runs would otherwise fill the queue
                // for days; it is told to come back instead (approximately: two requests may
                // both see room for one).
                let queued = try await queue.queuedCount()
                guard queued < maxQueued else {
                    throw ServiceError(
                        .tooManyRequests, code: "queue_full",
                        "\(queued) training requests are waiting (CABLECAR_TRAINER_MAX_QUEUED is \(maxQueued)); "
                            + "retry when some have run (GET /api/v1/train/{id} shows their state)")
                }
                inserted = try await queue.enqueue(trainingRequest, source: "http")
                state = try await queue.status(trainingRequest.requestID)?.state.rawValue ?? "queued"
            } catch let refusal as ServiceError {
                throw refusal
            } catch {
                throw databaseFailure(error, logger: logger)
            }
            logger.info(
                inserted ? "Training request queued" : "Duplicate training request",
                metadata: ["request_id": "\(trainingRequest.requestID)", "source": "http"])
            return OperationalRoutes.jsonResponse(
                inserted ? .accepted : .ok, Accepted(requestID: trainingRequest.requestID, queued: inserted, status: state))
        }
        router.get("/api/v1/train/:id") { _, context in
            let id = try PathParameter.string(context, "id", maxLength: 200)
            let status: RequestStatus?
            do {
                status = try await queue.status(id)
            } catch {
                throw databaseFailure(error, logger: logger)
            }
            guard let status else { throw ServiceError.notFound("no training request \(id)") }
            return OperationalRoutes.jsonResponse(.ok, status)
        }
    }

    /// A database refusal of the input is 400; anything else is a logged 503 with an id to quote.
    static func databaseFailure(_ error: any Error, logger: Logger) -> ServiceError {
        if let refusal = InputRefusal.message(of: error) {
            return ServiceError.badRequest("the training request was refused: \(refusal)")
        }
        return ServiceError.logged(
            .serviceUnavailable, code: "queue_unavailable", "training queue unavailable", error: error, logger: logger)
    }

    static func parse(_ bytes: [UInt8]) throws -> TrainingRequest {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw ServiceError.badRequest("invalid training request: body is not JSON", code: "invalid_json")
        } catch let error as DecodingError {
            throw ServiceError.badRequest("invalid training request: \(JSONRequest.describe(error))", code: "invalid_json")
        } catch {
            throw ServiceError.badRequest("invalid training request: body is not JSON", code: "invalid_json")
        }
        return TrainingRequest(
            requestID: body.requestID ?? UUID().uuidString.lowercased(),
            eventTime: EpochMillis(Date().timeIntervalSince1970 * 1000), start: body.start, end: body.end,
            targets: body.targets ?? ["speed_kmh", "flow_veh_h"], horizons: body.horizons ?? [15, 30, 60],
            neighborhoods: body.neighborhoods, reason: body.reason ?? .manual, detail: body.detail,
            requestedBy: body.requestedBy ?? "http")
    }
}
