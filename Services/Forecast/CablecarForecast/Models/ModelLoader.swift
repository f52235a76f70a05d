import CablecarDomain
import CablecarForecasting
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService

/// Why a version was not loaded; the service keeps serving what it had.
public struct ModelLoadError: Error, CustomStringConvertible, Sendable {
    /// Metric dimension: `corrupt_artifact`, `unreadable_model`, `not_found`, `registry_error`.
    public var reason: String
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// Reads versions of one registered model from the registry tables and loads their artifacts,
/// refusing any whose bytes do not hash to the sha256 recorded at registration.
public protocol ModelSource: Sendable {
    var modelName: String { get }
    /// The production version's number, nil when there is none.
    func productionVersion() async throws -> ModelVersion?
    func version(_ number: Int) async throws -> ModelVersion?
    func load(_ version: ModelVersion) async throws -> LoadedModel
}

public struct RegistryModelSource: ModelSource {
    public let store: RegistryStore
    public let modelName: String

    public init(store: RegistryStore, modelName: String) {
        self.store = store
        self.modelName = modelName
    }

    public func productionVersion() async throws -> ModelVersion? {
        try await store.latestVersion(modelName: modelName, stage: .production)
    }

    public func version(_ number: Int) async throws -> ModelVersion? {
        try await store.version(modelName: modelName, version: number)
    }

    public func load(_ version: ModelVersion) async throws -> LoadedModel {
        let label = "\(version.modelName) version \(version.version)"
        guard let recorded = version.artifactSHA256 else {
            throw ModelLoadError(reason: "not_found", message: "\(label) has no artifact recorded in the registry")
        }
        let bytes: [UInt8]
        do {
            bytes = try await store.artifact(of: version)
        } catch let error as RegistryError where error.code == .invalidState {
            throw ModelLoadError(reason: "corrupt_artifact", message: "refusing \(label): \(error.message)")
        } catch let error as RegistryError where error.code == .notFound {
            throw ModelLoadError(reason: "not_found", message: "\(label): \(error.message)")
        } catch {
            throw ModelLoadError(reason: "registry_error", message: "reading the artifact of \(label) failed: \(error)")
        }
        // Megabytes of hashing and JSON: off the threads that serve requests.
        let digest = try await OffThePool.run { ArtifactCodec.sha256Hex(bytes) }
        guard digest == recorded else {
            throw ModelLoadError(
                reason: "corrupt_artifact",
                message: "refusing \(label): its artifact hashes to \(digest), the registry recorded \(recorded)")
        }
        do {
            let model = try await OffThePool.run { try ModelCatalog.load(artifact: bytes) }
            return LoadedModel(name: version.modelName, version: version.version, stage: version.stage, sha256: digest, model: model)
        } catch {
            throw ModelLoadError(reason: "unreadable_model", message: "refusing \(label): \(error)")
        }
    }
}
