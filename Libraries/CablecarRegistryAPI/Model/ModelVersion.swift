import CablecarDomain

/// A registered model: a name under which versions are registered.
public struct RegisteredModel: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var createdAt: EpochMillis
    public var updatedAt: EpochMillis
    public var tags: [String: String]
    /// alias → version
    public var aliases: [String: Int]

    public init(
        name: String, description: String, createdAt: EpochMillis, updatedAt: EpochMillis, tags: [String: String], aliases: [String: Int]
    ) {
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.tags = tags
        self.aliases = aliases
    }
}

/// One version of a registered model.
public struct ModelVersion: Sendable, Hashable, Codable {
    public var modelName: String
    public var version: Int
    public var runID: String?
    /// Where the artifact lives as the client gave it (MLflow's `source`), e.g. "runs:/<id>/model".
    public var source: String
    /// The artifact's path within its run, when it is stored in the registry.
    public var artifactPath: String
    public var artifactSHA256: String?
    public var description: String
    public var stage: ModelStage
    public var createdBy: String
    public var createdAt: EpochMillis
    public var updatedAt: EpochMillis
    public var aliases: [String]
    public var tags: [String: String]

    public init(
        modelName: String, version: Int, runID: String?, source: String, artifactPath: String, artifactSHA256: String?,
        description: String, stage: ModelStage, createdBy: String, createdAt: EpochMillis, updatedAt: EpochMillis,
        aliases: [String], tags: [String: String]
    ) {
        self.modelName = modelName
        self.version = version
        self.runID = runID
        self.source = source
        self.artifactPath = artifactPath
        self.artifactSHA256 = artifactSHA256
        self.description = description
        self.stage = stage
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.aliases = aliases
        self.tags = tags
    }
}

/// One recorded stage change.
public struct StageTransition: Sendable, Hashable, Codable {
    public var modelName: String
    public var version: Int
    /// nil for the registration itself.
    public var fromStage: ModelStage?
    public var toStage: ModelStage
    public var actor: String
    public var reason: String
    public var occurredAt: EpochMillis

    public init(
        modelName: String, version: Int, fromStage: ModelStage?, toStage: ModelStage, actor: String, reason: String,
        occurredAt: EpochMillis
    ) {
        self.modelName = modelName
        self.version = version
        self.fromStage = fromStage
        self.toStage = toStage
        self.actor = actor
        self.reason = reason
        self.occurredAt = occurredAt
    }
}

/// Where a model version came from: its run, the data and features it was trained on, the
/// code that trained it, and its stage history.
public struct ModelLineage: Sendable, Hashable, Codable {
    public var version: ModelVersion
    public var run: Run?
    public var experimentName: String?
    public var transitions: [StageTransition]

    public init(version: ModelVersion, run: Run?, experimentName: String?, transitions: [StageTransition]) {
        self.version = version
        self.run = run
        self.experimentName = experimentName
        self.transitions = transitions
    }
}
