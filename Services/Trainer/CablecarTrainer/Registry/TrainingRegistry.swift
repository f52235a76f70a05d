/// What the trainer needs from the model registry. `RegistryTrainingRegistry` implements it over
/// the registry library (Postgres); the seam keeps the training job independent of storage.
public protocol TrainingRegistry: Sendable {
    /// Opens a run under `experiment`; returns its id.
    func startRun(experiment: String, name: String, tags: [String: String]) async throws -> String
    func logParams(runID: String, _ params: [String: String]) async throws
    func logMetrics(runID: String, _ metrics: [(name: String, value: Double)]) async throws
    /// Lineage of the run: the dataset (snapshot fingerprint and how it was requested).
    func logDataset(runID: String, fingerprint: String, featureVersions: [String: Int], description: [String: String])
        async throws
    /// Stores a file with the run (e.g. the drift reference profile), before its version is registered.
    func logArtifact(runID: String, path: String, bytes: [UInt8]) async throws
    /// Closes the run as finished or failed (with the reason).
    func finishRun(runID: String, failure: String?) async throws
    /// The production version of `model` and its artifact bytes, if there is one.
    func productionModel(_ model: String) async throws -> (version: Int, artifact: [UInt8])?
    /// Stores the artifact and registers a new version in stage candidate, atomically: either the
    /// version exists with its artifact and lineage, or nothing does.
    func registerCandidate(
        model: String, runID: String, artifact: [UInt8], sha256: String, description: String
    ) async throws -> Int
    /// Moves a version to `stage` ("staging", "production", "archived"), recording who and why.
    func transition(model: String, version: Int, to stage: String, actor: String, reason: String) async throws
}
