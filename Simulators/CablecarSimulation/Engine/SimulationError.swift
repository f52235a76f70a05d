/// Failures a user can fix: a bad flag, scenario or city. The message says which and how.
public enum SimulationError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidScenario(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid simulation settings: \(reason)"
        case .invalidScenario(let reason): "invalid scenario: \(reason)"
        }
    }
}
