import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird
import Logging

/// The forecast API: POST /v1/forecasts, GET /v1/forecasts/{segment}, GET /v1/models, the
/// rollout admin endpoints and /openapi.json. Every error is a `ServiceError` (4xx with a reason;
/// 503 only while no model is loaded).
public enum ForecastRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, forecaster: Forecaster, manager: ModelManager, validator: RequestValidator, bodyLimit: Int,
        adminToken: String?
    ) {
        router.post("/v1/forecasts") { request, _ in
            try await timed("forecasts") {
                let body = try await JSONRequest.decode(ForecastRequestBody.self, from: request, limit: bodyLimit)
                let query = try validator.validate(body)
                return answer(try await forecaster.forecast(query))
            }
        }
        router.get("/v1/forecasts/{segment}") { request, context in
            try await timed("forecast") {
                let segment = context.parameters.get("segment") ?? ""
                guard validator.catalog.neighborhoodOf[segment] != nil else {
                    throw ServiceError.notFound("unknown segment '\(segment.prefix(100))'", code: "unknown_segment")
                }
                let parameters = request.uri.queryParameters
                let horizons = try RequestValidator.integers(parameters.get("horizons"), name: "horizons")
                let targets = parameters.get("targets").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                let query = ForecastQuery(
                    requestID: try RequestValidator.requestID(parameters.get("request_id")), segments: [segment],
                    horizons: try RequestValidator.horizons(horizons), targets: try RequestValidator.targets(targets))
                return answer(try await forecaster.forecast(query))
            }
        }
        router.get("/v1/models") { _, _ in
            json(.ok, await ModelState(manager: manager))
        }
        router.get("/v1/admin/rollout") { _, _ in
            json(.ok, await ModelState(manager: manager))
        }
        router.post("/v1/admin/rollout") { request, _ in
            try await timed("rollout") {
                try authorize(request, token: adminToken)
                let rollout = try await JSONRequest.decode(Rollout.self, from: request, limit: bodyLimit)
                _ = try await manager.apply(rollout)
                return json(.ok, await ModelState(manager: manager))
            }
        }
        OpenAPIRoute.add(to: router, document: OpenAPIDocument.bytes)
    }

    /// Admin calls need `Authorization: Bearer $CABLECAR_REGISTRY_ADMIN_TOKEN`; without a token
    /// configured every admin call is refused.
    static func authorize(_ request: Request, token: String?) throws {
        switch BearerToken.refusal(of: request, token: token) {
        case .disabled:
            throw ServiceError.forbidden(
                "admin calls are disabled on this server: set CABLECAR_REGISTRY_ADMIN_TOKEN and send it as 'Authorization: Bearer <token>'")
        case .missing:
            throw ServiceError.unauthorized("this call needs the admin token: send 'Authorization: Bearer <token>'")
        case .wrong:
            throw ServiceError.forbidden("the bearer token is not the admin token (CABLECAR_REGISTRY_ADMIN_TOKEN)")
        case nil:
            break
        }
    }

    static func timed(_ endpoint: String, _ body: () async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await body()
            finish(endpoint, started, status: response.status.code)
            return response
        } catch let error as ServiceError {
            finish(endpoint, started, status: error.status.code)
            throw error
        } catch {
            finish(endpoint, started, status: 500)
            throw error
        }
    }

    private static func finish(_ endpoint: String, _ started: ContinuousClock.Instant, status: Int) {
        let elapsed = ContinuousClock.now - started
        ForecastMetrics.request(endpoint, status: status)
        ForecastMetrics.latency(
            endpoint, nanoseconds: elapsed.inNanoseconds)
    }

    /// A forecast answer, written by `ForecastAnswer.jsonBytes` (the hot path; see `JSONOutput`).
    static func answer(_ answer: ForecastAnswer) -> Response {
        do {
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try answer.jsonBytes())))
        } catch {
            return ServiceError(.internalServerError, code: "unencodable", "the answer could not be encoded: \(error)").response
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(body)
            return Response(
                status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return ServiceError(.internalServerError, code: "unencodable", "the answer could not be encoded: \(error)").response
        }
    }
}

/// GET /v1/models and /v1/admin/rollout: what is served.
struct ModelState: Encodable {
    var modelName: String
    var production: ModelSummary?
    var candidate: ModelSummary?
    var rollout: Rollout
    var generation: Int
    var unavailableReason: String?
    var lastError: String?

    init(manager: ModelManager) async {
        let set = manager.holder.current
        modelName = manager.modelName
        production = set.production?.summary
        candidate = set.candidate?.summary
        rollout = set.rollout
        generation = set.generation
        unavailableReason = set.unavailableReason
        lastError = await manager.lastError
    }

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case production, candidate, rollout, generation
        case unavailableReason = "unavailable_reason"
        case lastError = "last_error"
    }
}
