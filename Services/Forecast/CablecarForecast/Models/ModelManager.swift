import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Logging

/// Loads versions in the background and installs them in the `ModelHolder` atomically. Loads are
/// serialized (an actor); requests never wait for one: they read the holder's current set.
/// A version that fails to load (corrupt artifact, unreadable model) is refused loudly (error
/// log, `cablecar_forecast_model_loads_total{outcome=...}`) and the previous model keeps serving.
public actor ModelManager {
    public nonisolated let holder: ModelHolder
    public nonisolated let source: any ModelSource
    private let logger: Logger
    /// The last refusal, shown by the status endpoint.
    public private(set) var lastError: String?

    public init(source: any ModelSource, holder: ModelHolder = ModelHolder(), logger: Logger) {
        self.source = source
        self.holder = holder
        self.logger = logger
    }

    public nonisolated var modelName: String { source.modelName }

    /// Makes the registry's production version the served one, unless it already is. Returns
    /// true when a production model is being served afterwards.
    @discardableResult
    public func refreshProduction() async -> Bool {
        let version: ModelVersion?
        do {
            version = try await source.productionVersion()
        } catch {
            refuse(ModelLoadError(reason: "registry_error", message: "reading the production version of \(modelName) failed: \(error)"))
            return holder.current.production != nil
        }
        guard let version else {
            holder.update { $0.noteUnavailable("the registry has no production version of model '\(self.modelName)' yet") }
            return holder.current.production != nil
        }
        let current = holder.current.production
        if current?.version == version.version, current?.sha256 == version.artifactSHA256 { return true }
        do {
            let loaded = try await source.load(version)
            let change = holder.update { $0.installProduction(loaded) }
            if case .installed(let previous) = change {
                ForecastMetrics.modelLoaded(version: loaded.version, role: "production")
                logger.info(
                    "Serving a new production model",
                    metadata: [
                        "model": "\(loaded.name)", "version": "\(loaded.version)", "previous": "\(previous.map(String.init) ?? "-")",
                        "sha256": "\(loaded.sha256)", "kind": "\(loaded.kind)",
                    ])
            }
            lastError = nil
        } catch let error as ModelLoadError {
            refuse(error)
        } catch {
            refuse(ModelLoadError(reason: "registry_error", message: "\(error)"))
        }
        return holder.current.production != nil
    }

    /// Serves `rollout.version` (which must be in staging) as canary or shadow; `.off` ends a rollout.
    public func apply(_ rollout: Rollout) async throws -> ModelSet {
        // Checked whatever the mode: a request that says share -1 is wrong even when it ends a rollout.
        guard rollout.share.isFinite, (0...1).contains(rollout.share) else {
            throw ServiceError.badRequest("'share' must be a number from 0 to 1, got \(rollout.share)")
        }
        guard rollout.mode != .off else {
            holder.update { $0.setRollout(.off, candidate: nil) }
            logger.info("Rollout ended", metadata: ["model": "\(modelName)"])
            return holder.current
        }
        guard let number = rollout.version else {
            throw ServiceError.badRequest("a \(rollout.mode.rawValue) rollout needs 'version' (a staging version of \(modelName))")
        }
        let version: ModelVersion?
        do {
            version = try await source.version(number)
        } catch {
            throw ServiceError.unavailable("the registry could not be read: \(error); retry when it is back")
        }
        guard let version else {
            throw ServiceError.notFound("model '\(modelName)' has no version \(number)", code: "unknown_version")
        }
        guard version.stage == .staging else {
            throw ServiceError(
                .conflict, code: "not_staging",
                "version \(number) of '\(modelName)' is in stage \(version.stage.rawValue); only a staging version can be a canary or shadow"
            )
        }
        let loaded: LoadedModel
        if let existing = holder.current.loaded(version: number), existing.sha256 == version.artifactSHA256 {
            loaded = existing
        } else {
            do {
                loaded = try await source.load(version)
            } catch let error as ModelLoadError {
                refuse(error)
                throw ServiceError(.unprocessableContent, code: error.reason, error.message)
            }
        }
        holder.update { $0.setRollout(rollout, candidate: loaded) }
        ForecastMetrics.modelLoaded(version: loaded.version, role: rollout.mode.rawValue)
        logger.info(
            "Rollout started",
            metadata: ["model": "\(modelName)", "version": "\(number)", "mode": "\(rollout.mode.rawValue)", "share": "\(rollout.share)"])
        return holder.current
    }

    private func refuse(_ error: ModelLoadError) {
        ForecastMetrics.modelRefused(reason: error.reason)
        lastError = error.message
        holder.update { $0.noteUnavailable(error.message) }
        logger.error(
            "Model version refused; the previous model keeps serving", metadata: ["reason": "\(error.reason)", "error": "\(error.message)"])
    }
}

/// `/health/ready` says not ready until a production model is loaded.
public struct ModelReadiness: ReadinessCheck {
    public let name = "model"
    let holder: ModelHolder

    public init(holder: ModelHolder) { self.holder = holder }

    public func isReady() async -> Bool { holder.current.production != nil }
}
