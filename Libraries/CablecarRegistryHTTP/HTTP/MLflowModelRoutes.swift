import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import Hummingbird

/// MLflow model-registry endpoints: registered models, versions, aliases, stage transitions.
enum MLflowModelRoutes {
    static let prefix = "/api/2.0/mlflow"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.post(
            RouterPath("\(prefix)/registered-models/create"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let model = try await store.createRegisteredModel(
                    name: try body.required("name"), description: try body.string("description") ?? "", tags: try body.keyValues("tags"))
                return JSONBody.ok(["registered_model": MLflowJSON.registeredModel(model, latest: [])])
            })
        router.get(
            RouterPath("\(prefix)/registered-models/get"),
            use: RegistryHandlers.guarded { request, _ in
                let name = try await h.body(request).required("name")
                return JSONBody.ok(["registered_model": try await registeredModelJSON(store, name)])
            })
        router.get(
            RouterPath("\(prefix)/registered-models/search"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let page = try SearchPage(body, bounds: SearchPage.registeredModels)
                let clauses = try SearchFilter.parse(try body.string("filter") ?? "")
                let matching = try await store.registeredModels(limit: SearchPage.everything).filter { model in
                    try clauses.allSatisfy { try $0.matchesModel(name: model.name, tags: model.tags) }
                }
                let (items, next) = page.slice(matching)
                var result: [[String: Any]] = []
                for model in items { result.append(try await registeredModelJSON(store, model.name)) }
                var answer: [String: Any] = ["registered_models": result]
                if let next { answer["next_page_token"] = next }
                return JSONBody.ok(answer)
            })
        router.post(
            RouterPath("\(prefix)/registered-models/get-latest-versions"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let name = try body.required("name")
                _ = try await store.requireRegisteredModel(name)
                let stages = try body.strings("stages").map { text -> ModelStage in
                    guard let stage = MLflowJSON.stage(named: text) else { throw APIError.invalid("unknown stage '\(text)'") }
                    return stage
                }
                let latest = MLflowJSON.latestPerStage(try await store.versions(modelName: name))
                    .filter { stages.isEmpty || stages.contains($0.stage) }
                return JSONBody.ok(["model_versions": latest.map(MLflowJSON.modelVersion)])
            })
        router.post(
            RouterPath("\(prefix)/model-versions/create"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let name = try body.required("name")
                let source = try body.string("source") ?? ""
                let runID = try body.string("run_id").flatMap { $0.isEmpty ? nil : $0 }
                var artifactPath = ""
                if let runID, let path = ArtifactPaths.runArtifactPath(source: source, runID: runID),
                    !(try await store.artifacts(runID: runID, prefix: path)).isEmpty
                {
                    artifactPath = path
                }
                let version = try await store.createModelVersion(
                    modelName: name, runID: runID, artifactPath: artifactPath, description: try body.string("description") ?? "",
                    source: source,
                    tags: try body.keyValues("tags"), actor: "mlflow-client")
                return JSONBody.ok(["model_version": MLflowJSON.modelVersion(version)])
            })
        router.get(
            RouterPath("\(prefix)/model-versions/get"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let version = try await store.requireVersion(
                    try body.required("name"), try RegistryHandlers.parseVersion(try body.required("version")))
                return JSONBody.ok(["model_version": MLflowJSON.modelVersion(version)])
            })
        router.get(
            RouterPath("\(prefix)/model-versions/get-download-uri"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let version = try await store.requireVersion(
                    try body.required("name"), try RegistryHandlers.parseVersion(try body.required("version")))
                var uri = version.source
                if let runID = version.runID, uri.hasPrefix("runs:/"), let run = try await store.run(id: runID) {
                    let base = MLflowJSON.artifactURI(run, experimentLocation: try await h.experimentLocation(run.experimentID))
                    uri = version.artifactPath.isEmpty ? base : base + "/" + version.artifactPath
                }
                return JSONBody.ok(["artifact_uri": uri])
            })
        router.get(
            RouterPath("\(prefix)/model-versions/search"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let page = try SearchPage(body, bounds: SearchPage.modelVersions)
                let clauses = try SearchFilter.parse(try body.string("filter") ?? "")
                let names = clauses.filter { $0.entity == .attribute && $0.key == "name" && $0.op == "=" }.map(\.value)
                let models = names.isEmpty ? try await store.registeredModels(limit: SearchPage.everything).map(\.name) : names
                var result: [ModelVersion] = []
                for model in models { result += try await store.versions(modelName: model) }
                result = try result.filter { version in
                    try clauses.allSatisfy { clause in
                        switch (clause.entity, clause.key) {
                        case (.attribute, "name"): return try clause.compareText(version.modelName)
                        case (.attribute, "run_id"): return try clause.compareText(version.runID)
                        case (.attribute, "source"): return try clause.compareText(version.source)
                        case (.attribute, "version_number"): return try clause.compareNumber(Double(version.version))
                        case (.tag, _): return try clause.compareRegistryTag(version.tags[clause.key])
                        default:
                            throw APIError.invalid(
                                "model version filter on '\(clause.key)' is not supported; use name, run_id, source, version_number or tags.<key>"
                            )
                        }
                    }
                }
                let (items, next) = page.slice(result)
                var answer: [String: Any] = ["model_versions": items.map(MLflowJSON.modelVersion)]
                if let next { answer["next_page_token"] = next }
                return JSONBody.ok(answer)
            })
        router.post(
            RouterPath("\(prefix)/model-versions/transition-stage"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "mlflow-client")
                let body = try await h.body(request)
                let text = try body.required("stage")
                guard let stage = MLflowJSON.stage(named: text) else {
                    throw APIError.invalid("unknown stage '\(text)'; expected None, Staging, Production or Archived")
                }
                let version = try await store.transition(
                    modelName: try body.required("name"), version: try RegistryHandlers.parseVersion(try body.required("version")),
                    to: stage,
                    actor: actor, reason: try body.string("comment") ?? "via the MLflow API")
                return JSONBody.ok(["model_version": MLflowJSON.modelVersion(version)])
            })
        // Aliases pick the model clients load (like stages): setting or deleting one is an admin action.
        router.post(
            RouterPath("\(prefix)/registered-models/alias"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "mlflow-client")
                let body = try await h.body(request)
                try await store.setAlias(
                    modelName: try body.required("name"), alias: try body.required("alias"),
                    version: try RegistryHandlers.parseVersion(try body.required("version")), actor: actor)
                return JSONBody.ok([:])
            })
        router.get(
            RouterPath("\(prefix)/registered-models/alias"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let name = try body.required("name")
                let alias = try body.required("alias")
                guard let version = try await store.version(modelName: name, alias: alias) else {
                    throw APIError.notFound("Registered model alias \(alias) not found.")
                }
                return JSONBody.ok(["model_version": MLflowJSON.modelVersion(version)])
            })
        router.delete(
            RouterPath("\(prefix)/registered-models/alias"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "mlflow-client")
                let body = try await h.body(request)
                try await store.deleteAlias(modelName: try body.required("name"), alias: try body.required("alias"), actor: actor)
                return JSONBody.ok([:])
            })
    }

    static func registeredModelJSON(_ store: any RegistryBackend, _ name: String) async throws -> [String: Any] {
        let model = try await store.requireRegisteredModel(name)
        return MLflowJSON.registeredModel(model, latest: MLflowJSON.latestPerStage(try await store.versions(modelName: name)))
    }
}
