import CablecarDomain
import CablecarForecasting
import CablecarRegistry
import CablecarRegistryAPI
import Foundation

/// `TrainingRegistry` over the registry library (Postgres tables of migration 0005). The artifact
/// and the version are stored in one registry transaction: a crash leaves either both or neither.
public struct RegistryTrainingRegistry: TrainingRegistry {
    public static let artifactPath = "model.json"

    public let store: RegistryStore

    public init(store: RegistryStore) { self.store = store }

    public func startRun(experiment: String, name: String, tags: [String: String]) async throws -> String {
        let experiment = try await store.ensureExperiment(name: experiment)
        return try await store.createRun(experimentID: experiment.id, name: name, tags: tags, userID: TrainingJob.actor).id
    }

    public func logParams(runID: String, _ params: [String: String]) async throws {
        try await store.logParameters(runID: runID, params)
    }

    public func logMetrics(runID: String, _ metrics: [(name: String, value: Double)]) async throws {
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let points = metrics.map { MetricPoint(key: $0.name, value: $0.value, timestamp: now) }
        // In slices: a run logs a few thousand metrics (per neighborhood, horizon and model).
        var start = 0
        while start < points.count {
            let end = min(points.count, start + 500)
            try await store.logMetrics(runID: runID, Array(points[start..<end]))
            start = end
        }
    }

    public func logDataset(runID: String, fingerprint: String, featureVersions: [String: Int], description: [String: String])
        async throws
    {
        try await store.recordLineage(
            runID: runID, datasetFingerprint: fingerprint, featureVersions: featureVersions,
            codeVersion: "cablecar-trainer/artifact-format-\(ArtifactCodec.formatVersion)")
        try await store.setTags(
            runID: runID,
            description.mapValues { String($0.prefix(5000)) }.reduce(into: [:]) {
                $0["dataset.\($1.key)"] = $1.value
            })
    }

    public func logArtifact(runID: String, path: String, bytes: [UInt8]) async throws {
        _ = try await store.putArtifact(runID: runID, path: path, bytes: bytes)
    }

    public func finishRun(runID: String, failure: String?) async throws {
        try await store.finishRun(
            runID: runID, status: failure == nil ? .finished : .failed, failureReason: failure.map { String($0.prefix(4000)) })
    }

    public func productionModel(_ model: String) async throws -> (version: Int, artifact: [UInt8])? {
        guard try await store.registeredModel(name: model) != nil,
            let version = try await store.latestVersion(modelName: model, stage: .production)
        else { return nil }
        return (version.version, try await store.artifact(of: version))
    }

    public func registerCandidate(model: String, runID: String, artifact: [UInt8], sha256: String, description: String)
        async throws -> Int
    {
        _ = try await store.ensureRegisteredModel(name: model, description: "Cablecar traffic forecasts (speed and flow)")
        let version = try await store.createModelVersion(
            modelName: model, runID: runID, artifactPath: Self.artifactPath, artifact: artifact, description: description,
            tags: ["artifact_sha256": sha256, "model_kind": RidgeForecastModel.kind], actor: TrainingJob.actor)
        if let stored = version.artifactSHA256, stored != sha256 {
            throw TrainingFailure.registryFailed("stored artifact hash \(stored) differs from the trained one \(sha256)")
        }
        return version.version
    }

    public func transition(model: String, version: Int, to stage: String, actor: String, reason: String) async throws {
        guard let target = ModelStage(rawValue: stage) else {
            throw TrainingFailure.registryFailed("unknown stage \(stage)")
        }
        _ = try await store.transition(modelName: model, version: version, to: target, actor: actor, reason: reason)
    }
}
