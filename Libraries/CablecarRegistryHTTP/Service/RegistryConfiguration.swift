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

    public static let variables = [adminToken, maxArtifactBytes, maxRequestBytes]

    public var adminToken: String?
    public var maxArtifactBytes: Int
    public var maxRequestBytes: Int

    public init(adminToken: String? = nil, maxArtifactBytes: Int = 64 << 20, maxRequestBytes: Int = 1 << 20) {
        self.adminToken = adminToken
        self.maxArtifactBytes = maxArtifactBytes
        self.maxRequestBytes = maxRequestBytes
    }

    public init(environment: EnvironmentReader) throws {
        adminToken = environment.values[Self.adminToken.name].flatMap { $0.isEmpty ? nil : $0 }
        maxArtifactBytes = try environment.int(Self.maxArtifactBytes, in: 1...(1 << 30))
        maxRequestBytes = try environment.int(Self.maxRequestBytes, in: 1024...(100 << 20))
    }

    public var http: RegistryHTTPConfiguration {
        RegistryHTTPConfiguration(adminToken: adminToken, maxRequestBytes: maxRequestBytes, maxArtifactBytes: maxArtifactBytes)
    }

    public var limits: RegistryStore.Limits { RegistryStore.Limits(maxArtifactBytes: maxArtifactBytes) }
}
