/// Why a training request failed, in words the requester can act on.
public enum TrainingFailure: Error, CustomStringConvertible, Equatable {
    case invalidRequest([String])
    case snapshotUnavailable(String)
    case trainingFailed(String)
    case registryFailed(String)

    public var description: String {
        switch self {
        case .invalidRequest(let problems): return "invalid training request: " + problems.joined(separator: "; ")
        case .snapshotUnavailable(let why): return "could not get the training data from the feature store: \(why)"
        case .trainingFailed(let why): return "training failed: \(why)"
        case .registryFailed(let why): return "the model registry refused: \(why)"
        }
    }
}
