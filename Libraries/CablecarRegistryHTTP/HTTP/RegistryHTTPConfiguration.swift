import CablecarRegistry
import CablecarRegistryAPI

/// How the registry's HTTP API behaves. Built by the hosting service from its environment.
public struct RegistryHTTPConfiguration: Sendable {
    /// Bearer token for admin actions (stage changes, rollback, deletes). nil: admin actions
    /// are refused with 403 and a message naming the variable to set.
    public var adminToken: String?
    /// Largest JSON request body accepted.
    public var maxRequestBytes: Int
    /// Largest artifact upload accepted (the store's limit applies too).
    public var maxArtifactBytes: Int
    /// Run searches allowed at once; more are answered 429 (see `SearchAdmission`).
    public var maxConcurrentSearches: Int

    public init(adminToken: String?, maxRequestBytes: Int = 1 << 20, maxArtifactBytes: Int = 64 << 20, maxConcurrentSearches: Int = 4) {
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.maxRequestBytes = maxRequestBytes
        self.maxArtifactBytes = maxArtifactBytes
        self.maxConcurrentSearches = maxConcurrentSearches
    }

    public static let adminTokenVariable = RegistryClient.adminTokenVariable
}
