import CablecarRegistry
import CablecarRegistryAPI
import Hummingbird

/// MLflow's restore and rename endpoints. Restores are admin actions, like the deletes they
/// undo; renaming an experiment is tracking (open, as on MLflow). Renaming a registered model
/// needs the admin token: clients load models by name, so a rename changes what they load.
enum MLflowLifecycleRoutes {
    static let prefix = "/api/2.0/mlflow"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.post(
            RouterPath("\(prefix)/runs/restore"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                try await store.restoreRun(runID: try await h.body(request).required("run_id"), actor: actor)
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/experiments/restore"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await h.body(request)
                try await store.restoreExperiment(
                    id: try RegistryHandlers.parseID(try body.required("experiment_id"), "experiment_id"), actor: actor)
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/experiments/update"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.renameExperiment(
                    id: try RegistryHandlers.parseID(try body.required("experiment_id"), "experiment_id"), to: try body.required("new_name")
                )
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/registered-models/rename"),
            use: RegistryHandlers.guarded { request, _ in
                // An admin action: clients load models by name, so a rename changes what they load.
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await h.body(request)
                let newName = try body.required("new_name")
                try await store.renameRegisteredModel(name: try body.required("name"), to: newName, actor: actor)
                return JSONBody.ok(["registered_model": try await MLflowModelRoutes.registeredModelJSON(store, newName)])
            })
    }
}
