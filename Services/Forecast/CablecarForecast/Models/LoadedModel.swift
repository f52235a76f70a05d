import CablecarDomain
import CablecarForecasting

/// One registry version, loaded and verified: immutable, shared by every request that uses it.
public struct LoadedModel: Sendable {
    public let name: String
    public let version: Int
    /// The stage the version had when it was loaded.
    public let stage: ModelStage
    public let sha256: String
    public let model: any ForecastModel
    public let baseline: Baseline?

    public init(name: String, version: Int, stage: ModelStage, sha256: String, model: any ForecastModel) {
        self.name = name
        self.version = version
        self.stage = stage
        self.sha256 = sha256
        self.model = model
        self.baseline = Baseline(model: model)
    }

    public var kind: String { type(of: model).kind }

    public var summary: ModelSummary {
        ModelSummary(name: name, version: version, stage: stage.rawValue, kind: kind, sha256: sha256)
    }
}

/// What the API shows of a loaded model.
public struct ModelSummary: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var stage: String
    public var kind: String
    public var sha256: String
}
