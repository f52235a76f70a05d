import CablecarDomain
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
        to router: Router<Context>, queue: RequestQueue, bodyLimit: Int, logger: Logger
    ) {
        router.post("/api/v1/train") { request, _ in
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > bodyLimit {
                return OperationalRoutes.jsonResponse(.contentTooLarge, ["error": "body larger than \(bodyLimit) bytes"])
            }
            let bytes: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: bodyLimit)
                bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                return OperationalRoutes.jsonResponse(.contentTooLarge, ["error": "body larger than \(bodyLimit) bytes"])
            }
            let trainingRequest: TrainingRequest
            do {
                trainingRequest = try parse(bytes)
            } catch {
                return OperationalRoutes.jsonResponse(.badRequest, ["error": "\(error)"])
            }
            let problems = trainingRequest.problems()
            guard problems.isEmpty else {
                return OperationalRoutes.jsonResponse(
                    .badRequest, ["error": "invalid training request: " + problems.joined(separator: "; ")])
            }
            do {
                let inserted = try await queue.enqueue(trainingRequest, source: "http")
                let state = try await queue.status(trainingRequest.requestID)?.state.rawValue ?? "queued"
                logger.info(
                    inserted ? "Training request queued" : "Duplicate training request",
                    metadata: ["request_id": "\(trainingRequest.requestID)", "source": "http"])
                return OperationalRoutes.jsonResponse(
                    inserted ? .accepted : .ok,
                    Accepted(requestID: trainingRequest.requestID, queued: inserted, status: state))
            } catch {
                return OperationalRoutes.jsonResponse(.serviceUnavailable, ["error": "training queue unavailable: \(error)"])
            }
        }
        router.get("/api/v1/train/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard !id.isEmpty, id.count <= 200 else {
                return OperationalRoutes.jsonResponse(.badRequest, ["error": "request id must have 1 to 200 characters"])
            }
            do {
                guard let status = try await queue.status(id) else {
                    return OperationalRoutes.jsonResponse(.notFound, ["error": "no training request \(id)"])
                }
                return OperationalRoutes.jsonResponse(.ok, status)
            } catch {
                return OperationalRoutes.jsonResponse(.serviceUnavailable, ["error": "training queue unavailable: \(error)"])
            }
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> TrainingRequest {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch DecodingError.keyNotFound(let key, _) {
            throw TrainingFailure.invalidRequest(["missing field \(key.stringValue)"])
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TrainingFailure.invalidRequest(["field \(path) has the wrong type"])
        } catch DecodingError.dataCorrupted(let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw TrainingFailure.invalidRequest([path.isEmpty ? "body is not JSON" : "field \(path) is invalid"])
        }
        return TrainingRequest(
            requestID: body.requestID ?? UUID().uuidString.lowercased(),
            eventTime: EpochMillis(Date().timeIntervalSince1970 * 1000), start: body.start, end: body.end,
            targets: body.targets ?? ["speed_kmh", "flow_veh_h"], horizons: body.horizons ?? [15, 30, 60],
            neighborhoods: body.neighborhoods, reason: body.reason ?? .manual, detail: body.detail,
            requestedBy: body.requestedBy ?? "http")
    }
}
