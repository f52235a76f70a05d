import CablecarRegistry
import CablecarRegistryAPI
import Hummingbird

/// MLflow's model updates, tags and deletes (deletes are admin actions).
enum MLflowModelAdminRoutes {
    static let prefix = "/api/2.0/mlflow"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.patch(
            RouterPath("\(prefix)/registered-models/update"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let name = try body.required("name")
                try await store.updateDescription(modelName: name, description: try body.string("description") ?? "")
                return JSONBody.ok(["registered_model": try await MLflowModelRoutes.registeredModelJSON(store, name)])
            })
        router.patch(
            RouterPath("\(prefix)/model-versions/update"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let name = try body.required("name")
                let version = try RegistryHandlers.parseVersion(try body.required("version"))
                try await store.updateDescription(modelName: name, version: version, description: try body.string("description") ?? "")
                return JSONBody.ok(["model_version": MLflowJSON.modelVersion(try await store.requireVersion(name, version))])
            })
        router.post(
            RouterPath("\(prefix)/registered-models/set-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setModelTag(
                    modelName: try body.required("name"), key: try body.required("key"), value: try body.string("value") ?? "")
                return JSONBody.ok([:])
            })
        router.delete(
            RouterPath("\(prefix)/registered-models/delete-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setModelTag(modelName: try body.required("name"), key: try body.required("key"), value: nil)
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/model-versions/set-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setModelTag(
                    modelName: try body.required("name"), version: try RegistryHandlers.parseVersion(try body.required("version")),
                    key: try body.required("key"), value: try body.string("value") ?? "")
                return JSONBody.ok([:])
            })
        router.delete(
            RouterPath("\(prefix)/model-versions/delete-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setModelTag(
                    modelName: try body.required("name"), version: try RegistryHandlers.parseVersion(try body.required("version")),
                    key: try body.required("key"), value: nil)
                return JSONBody.ok([:])
            })
        router.delete(
            RouterPath("\(prefix)/model-versions/delete"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await h.body(request)
                try await store.deleteModelVersion(
                    modelName: try body.required("name"), version: try RegistryHandlers.parseVersion(try body.required("version")),
                    actor: actor,
                    reason: "via the MLflow API")
                return JSONBody.ok([:])
            })
        router.delete(
            RouterPath("\(prefix)/registered-models/delete"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await h.body(request)
                try await store.deleteRegisteredModel(name: try body.required("name"), actor: actor, reason: "via the MLflow API")
                return JSONBody.ok([:])
            })
    }
}
