/// The lifecycle stage of a registered model version.
///
/// `candidate` is where every new version starts; at most one version of a model is
/// `production` at a time (promoting one archives the previous production version).
public enum ModelStage: String, Codable, Sendable, CaseIterable, Hashable {
    case candidate
    case staging
    case production
    case archived
}

/// `model.events`: one change in the model registry (a version registered, a stage
/// transition, a rollback, an alias moved). Keyed by model name, so one model's events stay
/// in order on one partition. The forecast service consumes these to hot-swap models.
public struct ModelEvent: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.modelEvents

    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A new version was registered (it starts as `candidate`).
        case registered
        /// A version changed stage (promotion, demotion, archival).
        case transitioned
        /// A rollback made an earlier version production again.
        case rolledBack = "rolled_back"
        /// An alias now points at this version.
        case aliasSet = "alias_set"
        /// An alias was removed.
        case aliasDeleted = "alias_deleted"
        /// The version was deleted (never a production version: those must be replaced first).
        case deleted
    }

    public var version: Int
    /// Unique per event, so consumers can drop duplicates (delivery is at least once).
    public var eventID: String
    public var eventTime: EpochMillis
    public var kind: Kind
    public var modelName: String
    public var modelVersion: Int
    public var fromStage: ModelStage?
    /// The version's stage after the change.
    public var toStage: ModelStage
    public var actor: String
    public var reason: String
    public var runID: String?
    /// sha256 (hex) of the version's artifact, when it has one in the registry.
    public var artifactSHA256: String?
    public var alias: String?

    public init(
        version: Int = Self.currentVersion, eventID: String, eventTime: EpochMillis, kind: Kind, modelName: String,
        modelVersion: Int, fromStage: ModelStage?, toStage: ModelStage, actor: String, reason: String, runID: String?,
        artifactSHA256: String?, alias: String? = nil
    ) {
        self.version = version
        self.eventID = eventID
        self.eventTime = eventTime
        self.kind = kind
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.fromStage = fromStage
        self.toStage = toStage
        self.actor = actor
        self.reason = reason
        self.runID = runID
        self.artifactSHA256 = artifactSHA256
        self.alias = alias
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case eventID = "event_id"
        case eventTime = "event_time"
        case kind
        case modelName = "model_name"
        case modelVersion = "model_version"
        case fromStage = "from_stage"
        case toStage = "to_stage"
        case actor
        case reason
        case runID = "run_id"
        case artifactSHA256 = "artifact_sha256"
        case alias
    }
}
