import CablecarDomain
import CablecarDrift
import CablecarForecasting
import CablecarNumerics
import CablecarService
import Foundation
import Logging

/// One training request, end to end: snapshot → fit (ridge and both baselines) → evaluate on the
/// held-out test period against the baselines and the current production model, leaving the
/// few neighborhoods where a baseline wins to that baseline (`CandidateJudgement`) → record the run
/// (params, metrics, dataset lineage) → register the candidate → gates → promotion.
///
/// The run is closed as failed, with the reason, whenever a step after its creation throws.
public struct TrainingJob: Sendable {
    public static let actor = "cablecar-trainer"

    public var source: any FeatureSnapshotSource
    public var registry: any TrainingRegistry
    public var configuration: TrainerConfiguration
    public var logger: Logger

    public init(
        source: any FeatureSnapshotSource, registry: any TrainingRegistry, configuration: TrainerConfiguration,
        logger: Logger
    ) {
        self.source = source
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
    }

    /// `onRun` hears the run id as soon as it exists (the queue stores it).
    public func run(
        _ request: TrainingRequest, attempt: Int = 1, onRun: @Sendable (String) async throws -> Void = { _ in }
    ) async throws -> TrainingOutcome {
        let problems = request.problems()
        guard problems.isEmpty else { throw TrainingFailure.invalidRequest(problems) }
        let parameters = ModelParameters(
            targets: request.targets.compactMap(ForecastTarget.init(rawValue:)), horizons: request.horizons,
            penaltyGrid: configuration.penalties, timeZone: configuration.timeZone, deviationTrees: configuration.deviationTrees)
        let runID: String
        do {
            runID = try await registry.startRun(
                experiment: configuration.experiment, name: "train \(request.requestID)",
                tags: [
                    "request_id": request.requestID, "reason": request.reason.rawValue, "requested_by": request.requestedBy,
                    "attempt": "\(attempt)", "trainer": Self.actor,
                ])
        } catch {
            throw TrainingFailure.registryFailed("could not open a run: \(error)")
        }
        try await onRun(runID)
        do {
            let outcome = try await train(request, runID: runID, parameters: parameters)
            return outcome
        } catch let cancelled as CancellationError {
            // Shutting down mid-run: the run is closed as stopped (the worker hands the request
            // back; the next attempt opens a run of its own).
            let registry = self.registry
            do {
                try await withoutCancellation(within: .seconds(10), "closing run \(runID)") {
                    try await registry.finishRun(
                        runID: runID, failure: "stopped mid-run: the trainer shut down; the request went back to the queue")
                }
            } catch {
                logger.warning(
                    "Stopped run not closed; the next attempt closes it", metadata: ["run_id": "\(runID)", "error": "\(error)"])
            }
            throw cancelled
        } catch {
            let reason = (error as? TrainingFailure)?.description ?? "\(error)"
            do {
                try await registry.finishRun(runID: runID, failure: reason)
            } catch {
                logger.error("Could not mark the run failed", metadata: ["run_id": "\(runID)", "error": "\(error)"])
            }
            throw error
        }
    }

    private func train(_ asked: TrainingRequest, runID: String, parameters: ModelParameters) async throws
        -> TrainingOutcome
    {
        let clock = ContinuousClock()
        let started = clock.now
        let request = try await withinMaterializedHistory(asked)
        try await registry.logParams(runID: runID, params(request, parameters))
        let snapshotRequest = SnapshotRequest(neighborhoods: request.neighborhoods, start: request.start, end: request.end)
        let snapshot: FeatureSnapshot
        do {
            snapshot = try await source.snapshot(snapshotRequest)
        } catch {
            throw TrainingFailure.snapshotUnavailable("\(error)")
        }
        try await registry.logDataset(
            runID: runID, fingerprint: snapshot.fingerprint, featureVersions: snapshot.featureVersions,
            description: [
                "start": "\(request.start)", "end": "\(request.end)", "rows": "\(snapshot.rows.count)",
                "neighborhoods": request.neighborhoods?.joined(separator: ",") ?? "all",
                "features": snapshot.featureNames.joined(separator: ","),
            ])

        try Task.checkCancellation()
        // Cancellation (shutdown) stops the fit within a cell or a tree; the worker hands the
        // request back.
        let cancellation = FitCancellation()
        let fitted = try await withTaskCancellationHandler {
            try await OffThePool.run { try fit(snapshot: snapshot, parameters: parameters, cancellation: cancellation) }
        } onCancel: {
            cancellation.cancel()
        }
        try Task.checkCancellation()
        let production = try await productionModel()
        let judgement = try await OffThePool.run {
            CandidateJudgement.judge(
                fitted, production: production?.model, parameters: parameters, configuration: configuration.gates)
        }
        let (candidate, report, verdict) = (judgement.model, judgement.report, judgement.verdict)
        let seconds = (clock.now - started) / .seconds(1)

        var metrics = report.metrics()
        metrics.append(("training_seconds", seconds))
        metrics.append(("gates_passed", verdict.passed ? 1 : 0))
        metrics += gateEvidenceMetrics(report)
        metrics += routeMetrics(judgement)
        let regimes = [("", fitted.ridge.selections), ("no_slot_average.", fitted.ridge.fallbackSelections)]
        for (prefix, selections) in regimes {
            for (key, selection) in selections.sorted(by: { $0.key < $1.key }) {
                let name = prefix + key.replacingOccurrences(of: "|", with: ".")
                metrics.append(("penalty.\(name)", selection.penalty))
                if let mae = selection.validationMAE { metrics.append(("validation.\(name).mae", mae)) }
            }
        }
        for (key, trial) in fitted.ridge.treeTrials.sorted(by: { $0.key < $1.key }) {
            let name = "trees." + key.replacingOccurrences(of: "|", with: ".")
            metrics.append(("\(name).validation_mae", trial.validationMAE))
            metrics.append(("\(name).ridge_validation_mae", trial.ridgeValidationMAE))
            metrics.append(("\(name).served", trial.served ? 1 : 0))
            if let weight = trial.weight { metrics.append(("\(name).weight", weight)) }
            if let mae = trial.servedValidationMAE { metrics.append(("\(name).served_validation_mae", mae)) }
        }
        try await registry.logMetrics(runID: runID, metrics)

        // What the monitor compares served features and predictions with, stored with the run
        // before the version exists (a registered version's run is immutable).
        let reference = try await OffThePool.run {
            try ReferenceProfileBuilder.build(
                data: fitted.data, period: fitted.split.fitting, model: candidate, targets: parameters.targets,
                horizons: parameters.horizons
            ).jsonBytes()
        }
        try await registry.logArtifact(runID: runID, path: ReferenceProfile.artifactPath, bytes: reference)

        let artifact = try candidate.artifact()
        let sha = ArtifactCodec.sha256Hex(artifact)
        let version: Int
        do {
            version = try await registry.registerCandidate(
                model: configuration.modelName, runID: runID, artifact: artifact, sha256: sha,
                description:
                    "ridge per neighborhood\(treesServed(fitted.ridge)), \(parameters.targets.map(\.rawValue).joined(separator: "+")) "
                    + "h\(parameters.horizons.map(String.init).joined(separator: "/")), request \(request.requestID)")
        } catch {
            throw TrainingFailure.registryFailed("could not register the candidate: \(error)")
        }
        try await registry.finishRun(runID: runID, failure: nil)

        var promoted = false
        let decision: String
        if !verdict.passed {
            decision = "candidate (gates failed)"
        } else if !configuration.autoPromote {
            decision = "candidate (auto-promotion off)"
        } else if request.neighborhoods != nil {
            // A model trained on some neighborhoods would serve the others from its fallback:
            // never promote it automatically.
            decision = "candidate (trained on a subset of neighborhoods; promote by hand)"
        } else {
            try await registry.transition(
                model: configuration.modelName, version: version, to: "staging", actor: Self.actor, reason: verdict.summary)
            try await registry.transition(
                model: configuration.modelName, version: version, to: "production", actor: Self.actor,
                reason: verdict.summary)
            promoted = true
            decision = "promoted to production"
        }
        logger.info(
            "Training finished",
            metadata: [
                "request_id": "\(request.requestID)", "run_id": "\(runID)", "version": "\(version)",
                "decision": "\(decision)", "seconds": "\(seconds)", "gates": "\(verdict.summary)",
                "trees": "\(treeShares(fitted.ridge).joined(separator: ", "))",
                "split": "\(fitted.split)",
            ])
        return TrainingOutcome(
            runID: runID, modelName: configuration.modelName, modelVersion: version, artifactSHA256: sha,
            datasetFingerprint: snapshot.fingerprint, productionVersion: production?.version, evaluation: report,
            verdict: verdict, promoted: promoted, decision: decision, trainingSeconds: seconds)
    }

    /// Alert and scheduled requests ask for a window of fixed length before their time, and a
    /// young deployment has less history than that: they train on the part that is materialized
    /// (the gates still judge the result). An operator's own range is used as asked, and fails
    /// loudly when the store has not materialized all of it.
    func withinMaterializedHistory(_ request: TrainingRequest) async throws -> TrainingRequest {
        guard request.reason == .alert || request.reason == .scheduled else { return request }
        let steps: ClosedRange<EpochMillis>?
        do {
            steps = try await source.materializedSteps()
        } catch {
            throw TrainingFailure.snapshotUnavailable("could not read which steps the feature store has materialized: \(error)")
        }
        guard let steps else { return request }
        var clamped = request
        clamped.start = max(request.start, steps.lowerBound)
        clamped.end = min(request.end, steps.upperBound + Interval.lengthMillis)
        guard clamped.start < clamped.end else {
            throw TrainingFailure.snapshotUnavailable(
                "nothing of \(request.start)..<\(request.end) is materialized (the store has steps \(steps.lowerBound) to \(steps.upperBound))"
            )
        }
        if clamped.start != request.start || clamped.end != request.end {
            logger.info(
                "Training window narrowed to the materialized history",
                metadata: [
                    "request_id": "\(request.requestID)", "asked": "\(request.start)..<\(request.end)",
                    "training": "\(clamped.start)..<\(clamped.end)",
                ])
        }
        return clamped
    }

    func fit(snapshot: FeatureSnapshot, parameters: ModelParameters, cancellation: FitCancellation) throws -> FittedModels {
        do {
            return try FittedModels.fit(snapshot: snapshot, parameters: parameters, cancellation: cancellation)
        } catch let cancelled as CancellationError {
            throw cancelled
        } catch {
            throw TrainingFailure.trainingFailed("\(error)")
        }
    }

    private func productionModel() async throws -> (version: Int, model: any ForecastModel)? {
        guard let production = try await registry.productionModel(configuration.modelName) else { return nil }
        do {
            return (production.version, try ModelCatalog.load(artifact: production.artifact))
        } catch {
            // An unreadable production artifact must not block a better model: evaluate without it
            // (the gates then only require beating the baselines) and say so.
            logger.warning(
                "Production model unreadable; evaluating without it",
                metadata: ["version": "\(production.version)", "error": "\(error)"])
            return nil
        }
    }

    /// Where trees answer with the ridge, for the version's description.
    private func treesServed(_ model: RidgeForecastModel) -> String {
        let shares = treeShares(model)
        return shares.isEmpty ? "" : " with trees for " + shares.joined(separator: ", ")
    }

    /// Each target and horizon the trees answer, with their share of the forecast
    /// ("speed_kmh h15 75 %").
    private func treeShares(_ model: RidgeForecastModel) -> [String] {
        model.trees.sorted { $0.key < $1.key }.map { key, trees in
            key.replacingOccurrences(of: "|", with: " h") + " \(Int((trees.weight * 100).rounded())) %"
        }
    }

    private func params(_ request: TrainingRequest, _ parameters: ModelParameters) -> [String: String] {
        [
            "model": RidgeForecastModel.kind,
            "targets": parameters.targets.map(\.rawValue).joined(separator: ","),
            "horizons": parameters.horizons.map(String.init).joined(separator: ","),
            "penalty_grid": parameters.penaltyGrid.map { "\($0)" }.joined(separator: ","),
            "train_fraction": "\(parameters.trainFraction)",
            "validation_fraction": "\(parameters.validationFraction)",
            "seed": "\(parameters.seed)",
            "mape_floor": "\(parameters.mapeFloor)",
            "time_zone": parameters.timeZone ?? "UTC",
            "deviation_trees": "\(parameters.treeCount)",
            "start": "\(request.start)",
            "end": "\(request.end)",
            "neighborhoods": request.neighborhoods?.joined(separator: ",") ?? "all",
            "reason": request.reason.rawValue,
            "artifact_format": "\(ArtifactCodec.formatVersion)",
            "gate_production_margin": "\(configuration.gates.productionMargin)",
            "gate_neighborhood_margin": "\(configuration.gates.neighborhoodMargin)",
            "gate_baseline_improvement": "\(configuration.gates.baselineImprovement)",
        ]
    }
}
