import CablecarDrift
import CablecarRegistry
import CablecarRegistryAPI
import Logging
import Synchronization

/// Each model version's reference profile, read once from the registry (the artifact the trainer
/// stored with the version's run) and kept for the life of the process.
///
/// A version without one (trained before profiles existed, or registered by hand) is remembered
/// as such and not judged for drift. A failure to reach the registry is thrown, not remembered,
/// so the next window tries again.
final class ReferenceProfiles: Sendable {
    private let registry: RegistryStore
    private let logger: Logger
    private let cache = Mutex<[ModelKey: ReferenceProfile?]>([:])

    init(registry: RegistryStore, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    func profile(_ key: ModelKey) async throws -> ReferenceProfile? {
        if let known = cache.withLock({ $0[key] }) { return known }
        let profile = try await load(key)
        cache.withLock { $0[key] = .some(profile) }
        return profile
    }

    private func load(_ key: ModelKey) async throws -> ReferenceProfile? {
        guard let version = try await registry.version(modelName: key.name, version: key.version), let runID = version.runID else {
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = try await registry.artifact(runID: runID, path: ReferenceProfile.artifactPath)
        } catch let error as RegistryError where error.code == .notFound {
            logger.notice(
                "Model version has no reference profile; its drift is not judged",
                metadata: ["model": "\(key.name)", "version": "\(key.version)"])
            return nil
        }
        do {
            let profile = try ReferenceProfile.load(bytes)
            logger.info(
                "Reference profile read",
                metadata: ["model": "\(key.name)", "version": "\(key.version)", "neighborhoods": "\(profile.neighborhoods.count)"])
            return profile
        } catch {
            logger.error(
                "Reference profile unreadable; the version's drift is not judged",
                metadata: ["model": "\(key.name)", "version": "\(key.version)", "error": "\(error)"])
            return nil
        }
    }
}
