import CablecarDomain
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
        router.get(RouterPath("\(prefix)/experiments"), use: RegistryHandlers.guarded { _, _ in
            json(try await store.experiments())
        })
        router.get(RouterPath("\(prefix)/runs"), use: RegistryHandlers.guarded { request, _ in
            let query = try await h.body(request)
            var ids: [Int64]
            if let name = query.string("experiment"), !name.isEmpty {
                guard let experiment = try await store.experiment(named: name) else {
                    throw APIError.notFound("no experiment named '\(name)'")
                }
                ids = [experiment.id]
            } else {
                ids = try await store.experiments().map(\.id)
            }
            var status: RunStatus?
            if let text = query.string("status") {
                guard let parsed = RunStatus(rawValue: text.uppercased()) else { throw APIError.invalid("unknown run status '\(text)'") }
                status = parsed
            }
            let limit = Int(try query.int64("limit") ?? 100)
            guard (1...10_000).contains(limit) else { throw APIError.invalid("'limit' must be 1 to 10000") }
            return json(try await store.runs(experimentIDs: ids, filter: RunFilter(status: status, limit: limit)))
        })
        router.get(RouterPath("\(prefix)/runs/:id"), use: RegistryHandlers.guarded { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let run = try await store.run(id: id) else { throw APIError.notFound("Run with id=\(id) not found") }
            return json(run)
        })
        router.get(RouterPath("\(prefix)/runs/:id/metrics/:key"), use: RegistryHandlers.guarded { _, context in
            json(try await store.metricHistory(runID: context.parameters.get("id") ?? "", key: context.parameters.get("key") ?? ""))
        })
        router.get(RouterPath("\(prefix)/models"), use: RegistryHandlers.guarded { _, _ in
            json(try await store.registeredModels())
        })
        router.get(RouterPath("\(prefix)/models/:name"), use: RegistryHandlers.guarded { _, context in
            let name = context.parameters.get("name") ?? ""
            let model = try await store.requireRegisteredModel(name)
            return json(ModelDetail(model: model, versions: try await store.versions(modelName: name)))
        })
        router.get(RouterPath("\(prefix)/models/:name/versions/:version"), use: RegistryHandlers.guarded { _, context in
            json(try await store.requireVersion(context.parameters.get("name") ?? "", try version(context)))
        })
        router.get(RouterPath("\(prefix)/models/:name/versions/:version/lineage"), use: RegistryHandlers.guarded { _, context in
            json(try await store.lineage(modelName: context.parameters.get("name") ?? "", version: try version(context)))
        })
        router.post(RouterPath("\(prefix)/models/:name/versions/:version/transition"), use: RegistryHandlers.guarded { request, context in
            let actor = try h.admin.authorize(request, fallbackActor: "admin")
            let body = try await decode(TransitionRequest.self, request, h)
            let result = try await store.transition(
                modelName: context.parameters.get("name") ?? "", version: try version(context), to: body.stage, actor: actor, reason: body.reason)
            return json(result)
        })
        router.post(RouterPath("\(prefix)/models/:name/rollback"), use: RegistryHandlers.guarded { request, context in
            let actor = try h.admin.authorize(request, fallbackActor: "admin")
            let body = try await decode(RollbackRequest.self, request, h)
            let result = try await store.rollback(
                modelName: context.parameters.get("name") ?? "", to: body.version, actor: actor, reason: body.reason)
            return json(result)
        })
    }

    static func version<Context: RequestContext>(_ context: Context) throws -> Int {
        try RegistryHandlers.parseVersion(context.parameters.get("version") ?? "")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ h: RegistryHandlers) async throws -> T {
        let bytes = try await JSONBody.readBytes(request, limit: h.configuration.maxRequestBytes)
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw APIError.invalid("request body is not a valid \(type): \(error)")
        }
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let data = try encoder.encode(value)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return APIError.from(error).response
        }
    }
}
