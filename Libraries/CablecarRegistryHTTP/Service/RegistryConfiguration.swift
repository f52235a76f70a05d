import CablecarRegistry
import CablecarRegistryAPI
import CablecarService

/// The registry's environment variables (read by whichever service hosts the registry API,
/// cablecar-trainer by default).
public struct RegistryConfiguration: Sendable, Equatable {
    public static let adminToken = ConfigurationVariable(
        RegistryHTTPConfiguration.adminTokenVariable, default: "", expected: "a secret string (empty: admin actions disabled)",
        summary: "Bearer token required for model stage changes, rollbacks and deletes over the registry API; unset refuses them all.",
        isSecret: true)
    public static let maxArtifactBytes = ConfigurationVariable(
        "CABLECAR_REGISTRY_MAX_ARTIFACT_BYTES", default: "67108864", expected: "bytes, 1 to 1073741824",
        summary: "Largest artifact the registry stores (uploads beyond it get 413).")
    public static let maxRequestBytes = ConfigurationVariable(
        "CABLECAR_REGISTRY_MAX_REQUEST_BYTES", default: "1048576", expected: "bytes, 1024 to 104857600",
        summary: "Largest JSON request body the registry API accepts (larger get 413).")

    public static let maxConcurrentSearches = ConfigurationVariable(
        "CABLECAR_REGISTRY_MAX_CONCURRENT_SEARCHES", default: "4", expected: "an integer, 1 to 64",
        summary: "Run searches (POST /api/2.0/mlflow/runs/search) allowed at once; more are answered 429 RESOURCE_EXHAUSTED "
            + "instead of waiting for the hosting service's database connections.")
    public static let searchTimeoutMilliseconds = ConfigurationVariable(
        "CABLECAR_REGISTRY_SEARCH_TIMEOUT_MS", default: "15000", expected: "milliseconds, 100 to 600000",
        summary: "How long Postgres may spend on one statement of a run search before it stops it (the search then answers 400 "
            + "saying so).")

    public static let variables = [adminToken, maxArtifactBytes, maxRequestBytes, maxConcurrentSearches, searchTimeoutMilliseconds]

    public var adminToken: String?
    public var maxArtifactBytes: Int
    public var maxRequestBytes: Int
    public var maxConcurrentSearches: Int
    public var searchTimeout: Duration

    public init(
        adminToken: String? = nil, maxArtifactBytes: Int = 64 << 20, maxRequestBytes: Int = 1 << 20, maxConcurrentSearches: Int = 4,
        searchTimeout: Duration = .seconds(15)
    ) {
        self.adminToken = adminToken
        self.maxArtifactBytes = maxArtifactBytes
        self.maxRequestBytes = maxRequestBytes
        self.maxConcurrentSearches = maxConcurrentSearches
        self.searchTimeout = searchTimeout
    }

    public init(environment: EnvironmentReader) throws {
        adminToken = environment.values[Self.adminToken.name].flatMap { $0.isEmpty ? nil : $0 }
        maxArtifactBytes = try environment.int(Self.maxArtifactBytes, in: 1...(1 << 30))
        maxRequestBytes = try environment.int(Self.maxRequestBytes, in: 1024...(100 << 20))
        maxConcurrentSearches = try environment.int(Self.maxConcurrentSearches, in: 1...64)
        searchTimeout = .milliseconds(try environment.int(Self.searchTimeoutMilliseconds, in: 100...600_000))
    }

    public var http: RegistryHTTPConfiguration {
        RegistryHTTPConfiguration(
            adminToken: adminToken, maxRequestBytes: maxRequestBytes, maxArtifactBytes: maxArtifactBytes,
            maxConcurrentSearches: maxConcurrentSearches)
    }

    public var limits: RegistryStore.Limits {
        RegistryStore.Limits(maxArtifactBytes: maxArtifactBytes, searchStatementTimeout: searchTimeout)
    }
}
