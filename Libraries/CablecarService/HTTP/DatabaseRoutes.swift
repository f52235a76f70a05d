/// Which of a service's routes wait on the database, and so answer 503 during an outage instead
/// of waiting (`DatabaseOutageMiddleware`).
public enum DatabaseRoutes: Sendable, Equatable {
    /// Every route (the registry's, the trainer's, the feature store's).
    case all
    /// Only routes whose path starts with one of these prefixes: a service that answers most
    /// routes from memory, and reads the database on a few (forecast serving's admin routes).
    case under([String])
    /// No route.
    case none

    public func contains(path: String) -> Bool {
        switch self {
        case .all: true
        case .none: false
        case .under(let prefixes): prefixes.contains { path.hasPrefix($0) }
        }
    }
}
