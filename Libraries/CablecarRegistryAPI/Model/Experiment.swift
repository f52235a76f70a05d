import CablecarDomain

/// A named group of runs (MLflow's experiment). Names are unique.
public struct Experiment: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var artifactLocation: String
    /// "active" or "deleted".
    public var lifecycleStage: String
    public var createdAt: EpochMillis
    public var updatedAt: EpochMillis
    public var tags: [String: String]

    public init(
        id: Int64, name: String, artifactLocation: String, lifecycleStage: String, createdAt: EpochMillis, updatedAt: EpochMillis,
        tags: [String: String]
    ) {
        self.id = id
        self.name = name
        self.artifactLocation = artifactLocation
        self.lifecycleStage = lifecycleStage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.tags = tags
    }
}
