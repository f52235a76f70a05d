import CablecarDomain

/// The one seam every forecasting model sits behind: fit on a training set, predict one
/// (segment, issue time, target, horizon), and round-trip through a deterministic byte artifact
/// (same data + parameters → same bytes → same sha256).
public protocol ForecastModel: Sendable {
    /// Stable name stored with the artifact, e.g. "ridge".
    static var kind: String { get }
    /// Feature names the model's `ModelInput.features` must follow.
    var featureNames: [String] { get }
    var targets: [ForecastTarget] { get }
    var horizons: [Int] { get }

    /// Fits on `split.fitting` (train + validation); a model that tunes itself does so on
    /// `split.train` against `split.validation`. The test period is never read.
    static func fit(_ data: TrainingData, split: TimeSplit, parameters: ModelParameters) throws -> Self
    func predict(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Double?
    func artifact() throws -> [UInt8]
    static func load(artifact: [UInt8]) throws -> Self
    /// The baseline that answers this cell in place of the model (see `BaselineRoute`); nil when
    /// the model answers it itself.
    func servedBaseline(neighborhood: String, target: ForecastTarget, horizonMinutes: Int) -> ModelRole?
}

extension ForecastModel {
    public func servedBaseline(neighborhood: String, target: ForecastTarget, horizonMinutes: Int) -> ModelRole? { nil }
}

/// Why a model could not be built, loaded or used.
public enum ForecastingError: Error, Equatable, CustomStringConvertible {
    case emptyTrainingData(String)
    case invalidParameters(String)
    case invalidArtifact(String)
    case invalidSnapshot(String)

    public var description: String {
        switch self {
        case .emptyTrainingData(let why): return "no training data: \(why)"
        case .invalidParameters(let why): return "invalid model parameters: \(why)"
        case .invalidArtifact(let why): return "model artifact cannot be read: \(why)"
        case .invalidSnapshot(let why): return "feature snapshot unusable for training: \(why)"
        }
    }
}
