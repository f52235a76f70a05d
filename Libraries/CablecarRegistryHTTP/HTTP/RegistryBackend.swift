import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI

/// What the registry's HTTP API needs from a store: experiment tracking, the model registry
/// and artifacts. `RegistryStore` (Postgres) is the one implementation the services run; the
/// routes see only this, so they can be exercised over any other.
public protocol RegistryBackend: Sendable {
    var limits: RegistryStore.Limits { get }

    // Experiments
    func experiment(named name: String) async throws -> Experiment?
    func experiment(id: Int64) async throws -> Experiment?
    func experiments(limit: Int, lifecycle: [RegistryStore.Lifecycle]) async throws -> [Experiment]
    func createExperiment(name: String, tags: [String: String], artifactLocation: String?) async throws -> Experiment
    func setExperimentTag(experimentID: Int64, key: String, value: String) async throws
    func renameExperiment(id: Int64, to name: String) async throws
    func deleteExperiment(id: Int64, actor: String) async throws
    func restoreExperiment(id: Int64, actor: String) async throws

    // Runs
    func createRun(experimentID: Int64, name: String, tags: [String: String], startTime: EpochMillis?, userID: String) async throws
        -> Run
    func run(id: String) async throws -> Run?
    func runs(experimentIDs: [Int64], filter: RunFilter) async throws -> [Run]
    func runs(experimentIDs: [Int64], lifecycle: [RegistryStore.Lifecycle], limit: Int) async throws -> [Run]
    func runs(matching query: RunQuery) async throws -> (runs: [Run], more: Bool)
    func logParameters(runID: String, _ parameters: [String: String]) async throws
    func logMetrics(runID: String, _ metrics: [MetricPoint]) async throws
    func setTags(runID: String, _ tags: [String: String]) async throws
    func logBatch(runID: String, metrics: [MetricPoint], parameters: [String: String], tags: [String: String]) async throws
    func deleteTag(runID: String, key: String) async throws
    func logInputs(runID: String, _ inputs: [DatasetInput]) async throws
    func metricHistory(runID: String, key: String) async throws -> [MetricPoint]
    func finishRun(runID: String, status: RunStatus, failureReason: String?, endTime: EpochMillis?, name: String?) async throws -> Run
    func deleteRun(runID: String, actor: String) async throws
    func restoreRun(runID: String, actor: String) async throws

    // Artifacts
    func putArtifact(runID: String, path: String, bytes: [UInt8]) async throws -> String
    func artifact(runID: String, path: String) async throws -> [UInt8]
    func artifacts(runID: String, prefix: String) async throws -> [ArtifactInfo]
    func hasRegisteredVersions(runID: String) async throws -> Bool

    // Registered models and versions
    func createRegisteredModel(name: String, description: String, tags: [String: String]) async throws -> RegisteredModel
    func requireRegisteredModel(_ name: String) async throws -> RegisteredModel
    func registeredModels(limit: Int) async throws -> [RegisteredModel]
    func renameRegisteredModel(name: String, to newName: String, actor: String) async throws
    func deleteRegisteredModel(name: String, actor: String, reason: String) async throws
    func updateDescription(modelName: String, description: String) async throws
    func updateDescription(modelName: String, version: Int, description: String) async throws
    func setModelTag(modelName: String, version: Int?, key: String, value: String?) async throws
    func createModelVersion(
        modelName: String, runID: String?, artifactPath: String, description: String, source: String?, tags: [String: String],
        actor: String
    ) async throws -> ModelVersion
    func createModelVersion(
        modelName: String, runID: String, artifactPath: String, artifact: [UInt8], description: String, tags: [String: String],
        actor: String
    ) async throws -> ModelVersion
    func version(modelName: String, version: Int) async throws -> ModelVersion?
    func version(modelName: String, alias: String) async throws -> ModelVersion?
    func requireVersion(_ modelName: String, _ version: Int) async throws -> ModelVersion
    func versions(modelName: String, stage: ModelStage?) async throws -> [ModelVersion]
    func deleteModelVersion(modelName: String, version: Int, actor: String, reason: String) async throws
    func lineage(modelName: String, version: Int) async throws -> ModelLineage
    func artifact(of version: ModelVersion) async throws -> [UInt8]

    // Stages and aliases (admin actions)
    @discardableResult
    func transition(modelName: String, version: Int, to stage: ModelStage, actor: String, reason: String) async throws
        -> ModelVersion
    @discardableResult
    func rollback(modelName: String, to version: Int, actor: String, reason: String) async throws -> ModelVersion
    func setAlias(modelName: String, alias: String, version: Int, actor: String) async throws
    func deleteAlias(modelName: String, alias: String, actor: String) async throws

    // Events
    func publishPendingEvents(batch: Int) async throws -> Int
}

extension RegistryStore: RegistryBackend {}

/// The defaults the routes rely on (protocol requirements cannot declare them).
extension RegistryBackend {
    func experiments(lifecycle: [RegistryStore.Lifecycle] = [.active]) async throws -> [Experiment] {
        try await experiments(limit: 1000, lifecycle: lifecycle)
    }

    func runs(experimentIDs: [Int64], lifecycle: [RegistryStore.Lifecycle]) async throws -> [Run] {
        try await runs(experimentIDs: experimentIDs, lifecycle: lifecycle, limit: 1_000_000)
    }

    func registeredModels() async throws -> [RegisteredModel] { try await registeredModels(limit: 1000) }

    func versions(modelName: String) async throws -> [ModelVersion] { try await versions(modelName: modelName, stage: nil) }

    func setModelTag(modelName: String, key: String, value: String?) async throws {
        try await setModelTag(modelName: modelName, version: nil, key: key, value: value)
    }
}
