import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import Foundation
import Hummingbird

/// MLflow tracking endpoints: experiments, runs, params, metrics, tags.
enum MLflowTrackingRoutes {
    static let prefix = "/api/2.0/mlflow"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.get(
            RouterPath("\(prefix)/experiments/get-by-name"),
            use: RegistryHandlers.guarded { request, _ in
                let name = try await h.body(request).required("experiment_name")
                guard let experiment = try await store.experiment(named: name) else {
                    throw APIError.notFound("Could not find experiment with name '\(name)'")
                }
                return JSONBody.ok(["experiment": MLflowJSON.experiment(experiment)])
            })
        router.get(
            RouterPath("\(prefix)/experiments/get"),
            use: RegistryHandlers.guarded { request, _ in
                let id = try RegistryHandlers.parseID(try await h.body(request).required("experiment_id"), "experiment_id")
                guard let experiment = try await store.experiment(id: id) else {
                    throw APIError.notFound("No Experiment with id=\(id) exists")
                }
                return JSONBody.ok(["experiment": MLflowJSON.experiment(experiment)])
            })
        router.post(
            RouterPath("\(prefix)/experiments/create"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let location = try body.string("artifact_location").flatMap { $0.isEmpty ? nil : $0 }
                let experiment = try await store.createExperiment(
                    name: try body.required("name"), tags: try body.keyValues("tags"), artifactLocation: location)
                return JSONBody.ok(["experiment_id": String(experiment.id)])
            })
        router.post(
            RouterPath("\(prefix)/experiments/search"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let page = try SearchPage(body, bounds: SearchPage.runs)
                let clauses = try SearchFilter.parse(try body.string("filter") ?? "")
                let stages = try RegistryStore.Lifecycle.stages(viewType: try body.enumeration("view_type"))
                let experiments = try await store.experiments(limit: SearchPage.everything, lifecycle: stages).filter { experiment in
                    try clauses.allSatisfy { try $0.matchesExperiment(experiment) }
                }
                let (items, next) = page.slice(experiments)
                var answer: [String: Any] = ["experiments": items.map(MLflowJSON.experiment)]
                if let next { answer["next_page_token"] = next }
                return JSONBody.ok(answer)
            })
        router.post(
            RouterPath("\(prefix)/experiments/set-experiment-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setExperimentTag(
                    experimentID: try RegistryHandlers.parseID(try body.required("experiment_id"), "experiment_id"),
                    key: try body.required("key"), value: try body.string("value") ?? "")
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/experiments/delete"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                let body = try await h.body(request)
                try await store.deleteExperiment(
                    id: try RegistryHandlers.parseID(try body.required("experiment_id"), "experiment_id"), actor: actor)
                return JSONBody.ok([:])
            })
        // Cablecar keeps no MLflow 3 "logged models" (models are registered from run artifacts);
        // the client searches them when resolving runs:/ URIs, and the true answer is: none.
        router.post(
            RouterPath("\(prefix)/logged-models/search"),
            use: RegistryHandlers.guarded { request, _ in
                _ = try await h.body(request)
                return JSONBody.ok(["models": [Any]()])
            })
        router.get(
            RouterPath("\(prefix)/logged-models/:id"),
            use: RegistryHandlers.guarded { _, context in
                throw APIError.notFound("Logged model with ID '\(try RegistryHandlers.parameter(context, "id"))' not found.")
            })
        addRunRoutes(to: router, h)
        MLflowLifecycleRoutes.add(to: router, h)
    }

    static func addRunRoutes<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.post(
            RouterPath("\(prefix)/runs/create"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let experimentID = try RegistryHandlers.parseID(try body.string("experiment_id") ?? "0", "experiment_id")
                let tags = try body.keyValues("tags")
                let name = try body.string("run_name").flatMap { $0.isEmpty ? nil : $0 } ?? tags["mlflow.runName"] ?? ""
                let run = try await store.createRun(
                    experimentID: experimentID, name: name, tags: tags, startTime: try body.int64("start_time"),
                    userID: try body.string("user_id") ?? "")
                return JSONBody.ok(["run": try await h.runJSON(run)])
            })
        router.get(
            RouterPath("\(prefix)/runs/get"),
            use: RegistryHandlers.guarded { request, _ in
                let id = try await h.body(request).required("run_id", "run_uuid")
                guard let run = try await store.run(id: id) else { throw APIError.notFound("Run with id=\(id) not found") }
                return JSONBody.ok(["run": try await h.runJSON(run)])
            })
        router.post(
            RouterPath("\(prefix)/runs/update"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let id = try body.required("run_id", "run_uuid")
                guard let current = try await store.run(id: id) else { throw APIError.notFound("Run with id=\(id) not found") }
                var status = current.status
                let statusText = try body.enumeration("status")
                if let text = statusText {
                    // Protobuf's JSON mapping also allows the enum's number (RUNNING = 1 ... KILLED = 5).
                    let numbered = Int(text).flatMap { (1...RunStatus.allCases.count).contains($0) ? RunStatus.allCases[$0 - 1] : nil }
                    guard let parsed = RunStatus(rawValue: text.uppercased()) ?? numbered else {
                        throw APIError.invalid("unknown run status '\(text)'; expected one of \(RunStatus.allCases.map(\.rawValue))")
                    }
                    status = parsed
                }
                // An update without a status (e.g. a rename) keeps the recorded end time.
                let endTime = try body.int64("end_time") ?? (statusText == nil ? current.endTime : nil)
                let run = try await store.finishRun(
                    runID: id, status: status, failureReason: current.failureReason, endTime: endTime, name: try body.string("run_name"))
                return JSONBody.ok([
                    "run_info": MLflowJSON.runInfo(run, experimentLocation: try await h.experimentLocation(run.experimentID))
                ])
            })
        router.post(
            RouterPath("\(prefix)/runs/delete"),
            use: RegistryHandlers.guarded { request, _ in
                let actor = try h.admin.authorize(request, fallbackActor: "admin")
                try await store.deleteRun(runID: try await h.body(request).required("run_id"), actor: actor)
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/log-parameter"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.logParameters(
                    runID: try body.required("run_id", "run_uuid"), [try body.required("key"): try body.string("value") ?? ""])
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/log-metric"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.logMetrics(runID: try body.required("run_id", "run_uuid"), [try metric(body)])
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/set-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.setTags(
                    runID: try body.required("run_id", "run_uuid"), [try body.required("key"): try body.string("value") ?? ""])
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/delete-tag"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                try await store.deleteTag(runID: try body.required("run_id"), key: try body.required("key"))
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/log-batch"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let metrics = try body.objects("metrics").map(metric)
                let params = try body.keyValues("params")
                let tags = try body.keyValues("tags")
                // MLflow's own batch limits, so clients behave the same against either server.
                guard metrics.count <= 1000, params.count <= 100, tags.count <= 100, metrics.count + params.count + tags.count <= 1000
                else {
                    throw APIError.invalid("log-batch accepts at most 1000 metrics, 100 params and 100 tags (1000 items in all)")
                }
                try await store.logBatch(runID: try body.required("run_id"), metrics: metrics, parameters: params, tags: tags)
                return JSONBody.ok([:])
            })
        router.post(
            RouterPath("\(prefix)/runs/log-inputs"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                guard try body.objects("models").isEmpty else {
                    throw APIError(status: .notFound, code: "ENDPOINT_NOT_FOUND", message: MLflowUnsupportedRoutes.loggedModels)
                }
                let inputs = try body.objects("datasets").map(datasetInput)
                try await store.logInputs(runID: try body.required("run_id"), inputs)
                return JSONBody.ok([:])
            })
        router.get(
            RouterPath("\(prefix)/metrics/get-history"),
            use: RegistryHandlers.guarded { request, _ in
                let body = try await h.body(request)
                let id = try body.required("run_id", "run_uuid")
                guard try await store.run(id: id) != nil else { throw APIError.notFound("Run with id=\(id) not found") }
                let points = try await store.metricHistory(runID: id, key: try body.required("metric_key"))
                return JSONBody.ok(["metrics": points.map(MLflowJSON.metric)])
            })
        router.post(
            RouterPath("\(prefix)/runs/search"),
            use: RegistryHandlers.guarded { request, _ in
                try await h.searches.admit { try await searchRuns(request, h) }
            })
    }

    /// One page of runs/search: Postgres filters, orders and pages when it can (`RunQuery`).
    private static func searchRuns(_ request: Request, _ h: RegistryHandlers) async throws -> Response {
        let store = h.store
        let body = try await h.body(request)
        let ids = try body.strings("experiment_ids").map { try RegistryHandlers.parseID($0, "experiment_ids") }
        let page = try SearchPage(body, bounds: SearchPage.runs)
        let clauses = try SearchFilter.parse(try body.string("filter") ?? "")
        let ordering = try RunOrdering(body.strings("order_by"))
        let stages = try RegistryStore.Lifecycle.stages(viewType: try body.enumeration("run_view_type"))
        let items: ArraySlice<Run>
        let next: String?
        if let query = try RunQuery.search(experimentIDs: ids, lifecycle: stages, clauses: clauses, ordering: ordering, page: page) {
            // Postgres filters, orders and pages: only the page's runs are read.
            let answer = try await store.runs(matching: query)
            items = answer.runs[...]
            next = answer.more ? PageToken.token(page.offset + page.limit) : nil
        } else {
            var runs = try await store.runs(experimentIDs: ids, lifecycle: stages)
            runs = try runs.filter { run in try clauses.allSatisfy { try $0.matchesRun(run) } }
            (items, next) = page.slice(ordering.sorted(runs))
        }
        var locations: [Int64: String] = [:]
        var result: [[String: Any]] = []
        for run in items {
            if locations[run.experimentID] == nil {
                locations[run.experimentID] = try await h.experimentLocation(run.experimentID)
            }
            result.append(MLflowJSON.run(run, experimentLocation: locations[run.experimentID] ?? ""))
        }
        var answer: [String: Any] = ["runs": result]
        if let next { answer["next_page_token"] = next }
        return JSONBody.ok(answer)
    }

    static func metric(_ body: JSONBody) throws -> MetricPoint {
        guard let value = try body.double("value") else { throw APIError.missing("value") }
        return MetricPoint(
            key: try body.required("key"), value: value,
            timestamp: try body.int64("timestamp") ?? EpochMillis(Date().timeIntervalSince1970 * 1000),
            step: try body.int64("step") ?? 0)
    }
}

extension MLflowTrackingRoutes {
    /// One of log-inputs' `datasets`: `{"tags": [{"key", "value"}], "dataset": {"name", "digest",
    /// "source_type", "source", "schema", "profile"}}`. Lengths are checked by the store.
    static func datasetInput(_ body: JSONBody) throws -> DatasetInput {
        guard let dataset = try body.object("dataset") else { throw APIError.missing("datasets[].dataset") }
        return DatasetInput(
            name: try dataset.required("name"), digest: try dataset.required("digest"),
            sourceType: try dataset.string("source_type") ?? "", source: try dataset.string("source") ?? "",
            schema: try dataset.string("schema"), profile: try dataset.string("profile"), tags: try body.keyValues("tags"))
    }
}
