import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird

/// Cablecar's own registry endpoints (what `cablecar runs|models` talks to): listings,
/// lineage, and the admin actions promote (transition) and rollback.
enum NativeRegistryRoutes {
    static let prefix = "/api/v1"

    /// Request body of POST /api/v1/models/:name/versions/:version/transition.
    struct TransitionRequest: Codable, Sendable {
        var stage: ModelStage
        var reason: String
    }

    /// Request body of POST /api/v1/models/:name/rollback.
    struct RollbackRequest: Codable, Sendable {
        var version: Int
        var reason: String
    }

    struct ModelDetail: Codable, Sendable {
        var model: RegisteredModel
        var versions: [ModelVersion]
    }

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.get(
            RouterPath("\(prefix)/experiments"),
            use: RegistryHandlers.native { _, _ in
                json(try await store.experiments())
            })
        router.get(
            RouterPath("\(prefix)/runs"),
            use: RegistryHandlers.native { request, _ in
                let query = try await h.body(request)
                var ids: [Int64]
                if let name = try query.string("experiment"), !name.isEmpty {
                    guard let experiment = try await store.experiment(named: name) else {
                        throw APIError.notFound("no experiment named '\(name)'")
                    }
                    ids = [experiment.id]
                } else {
                    ids = try await store.experiments().map(\.id)
                }
                var status: RunStatus?
                if let text = try query.string("status") {
                    guard let parsed = RunStatus(rawValue: text.uppercased()) else {
                        throw APIError.invalid("unknown run status '\(text)'")
                    }
                    status = parsed
                }
                let limit = Int(try query.int64("limit") ?? 100)
                guard (1...10_000).contains(limit) else { throw APIError.invalid("'limit' must be 1 to 10000") }
                return json(try await store.runs(experimentIDs: ids, filter: RunFilter(status: status, limit: limit)))
            })
        router.get(
            RouterPath("\(prefix)/runs/:id"),
            use: RegistryHandlers.native { _, context in
                let id = try RegistryHandlers.parameter(context, "id")
                guard let run = try await store.run(id: id) else { throw APIError.notFound("Run with id=\(id) not found") }
                return json(run)
            })
        router.get(
            RouterPath("\(prefix)/runs/:id/metrics/:key"),
            use: RegistryHandlers.native { _, context in
                json(
                    try await store.metricHistory(
                        runID: try RegistryHandlers.parameter(context, "id"), key: try RegistryHandlers.parameter(context, "key")))
            })
        router.get(
            RouterPath("\(prefix)/models"),
            use: RegistryHandlers.native { _, _ in
                json(try await store.registeredModels())
            })
        router.get(
            RouterPath("\(prefix)/models/:name"),
            use: RegistryHandlers.native { _, context in
                let name = try RegistryHandlers.parameter(context, "name")
                let model = try await store.requireRegisteredModel(name)
                return json(ModelDetail(model: model, versions: try await store.versions(modelName: name)))
            })
        router.get(
            RouterPath("\(prefix)/models/:name/versions/:version"),
            use: RegistryHandlers.native { _, context in
                json(try await store.requireVersion(try RegistryHandlers.parameter(context, "name"), try version(context)))
            })
        router.get(
            RouterPath("\(prefix)/models/:name/versions/:version/lineage"),
            use: RegistryHandlers.native { _, context in
                json(try await store.lineage(modelName: try RegistryHandlers.parameter(context, "name"), version: try version(context)))
            })
        router.post(
            RouterPath("\(prefix)/models/:name/versions/:version/transition"),
            use: RegistryHandlers.native { request, context in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await decode(TransitionRequest.self, request, h)
                let result = try await store.transition(
                    modelName: try RegistryHandlers.parameter(context, "name"), version: try version(context), to: body.stage, actor: actor,
                    reason: body.reason)
                return json(result)
            })
        router.post(
            RouterPath("\(prefix)/models/:name/rollback"),
            use: RegistryHandlers.native { request, context in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await decode(RollbackRequest.self, request, h)
                let result = try await store.rollback(
                    modelName: try RegistryHandlers.parameter(context, "name"), to: body.version, actor: actor, reason: body.reason)
                return json(result)
            })
    }

    static func version<Context: RequestContext>(_ context: Context) throws -> Int {
        try RegistryHandlers.parseVersion(try PathParameter.string(context, "version", maxLength: 100))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ h: RegistryHandlers) async throws -> T {
        let bytes = try await JSONRequest.body(of: request, limit: h.configuration.maxRequestBytes)
        // The same string checks as every other registry body (NUL, lengths) before decoding.
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) {
            try JSONBody.validateStrings(object)
        }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw ServiceError.badRequest("request body is not a valid \(type): \(JSONRequest.describe(error))", code: "invalid_json")
        } catch {
            throw ServiceError.badRequest("request body is not valid JSON", code: "invalid_json")
        }
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let data = try encoder.encode(value)
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return APIError.from(error).serviceError.response
        }
    }
}
